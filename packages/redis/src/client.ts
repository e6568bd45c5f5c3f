/**
 * The user's Redis client, whichever it is: `ioredis` (5 or 6, standalone or
 * Cluster) or node-redis (`redis` 5 or 6, a `createClient()` client),
 * recognised from its shape rather than imported, so neither is bundled.
 * Every command runs under its own deadline, whatever the client's retry
 * and offline-queue settings: an outage costs a request `timeout` ms, never
 * the client's ~10 s of retries.
 */

/** A reply as both clients give it over RESP2 and RESP3. */
export type Reply = string | number | null | Buffer | Reply[] | undefined;

/** What this package needs of a client: one raw command. */
export type RunCommand = (args: readonly string[]) => Promise<Reply>;

/** An `ioredis` client (`new Redis()`, `new Cluster()`): `call(command, ...args)`. */
export interface IoRedisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  status: string;
}

/** A node-redis client (`createClient()`): `sendCommand([command, ...args])`. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>;
  isOpen: boolean;
}

/** A client this package accepts. */
export type RedisClientLike = IoRedisLike | NodeRedisLike;

/** Thrown (or rejected with) when Redis does not answer in time or answers with an error. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

/** Which client `client` is, from its shape; a `TypeError` when it is neither. */
export function clientKind(client: unknown): 'ioredis' | 'node-redis' {
  if (typeof client === 'object' && client !== null) {
    const c = client as Record<string, unknown>;
    if (typeof c.call === 'function' && typeof c.status === 'string') return 'ioredis';
    if (typeof c.sendCommand === 'function' && typeof c.isOpen === 'boolean') return 'node-redis';
  }
  throw new TypeError(
    'client must be an ioredis client (new Redis()) or a node-redis client (createClient())',
  );
}

/** A command runner for `client`, each command held to `timeout` ms. */
export function commandRunner(client: RedisClientLike, timeout: number): RunCommand {
  const send: (args: readonly string[]) => unknown =
    clientKind(client) === 'ioredis'
      ? (args) => (client as IoRedisLike).call(args[0]!, ...args.slice(1))
      : (args) => (client as NodeRedisLike).sendCommand([...args]);
  return (args) =>
    new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new RedisUnavailableError(`Redis did not answer ${args[0]} in ${timeout} ms`)),
        timeout,
      );
      // A pending command must not keep a process alive that is otherwise done.
      timer.unref();
      const fail = (cause: unknown) => {
        clearTimeout(timer);
        reject(new RedisUnavailableError(`Redis failed ${args[0]}`, { cause }));
      };
      let pending: unknown;
      try {
        pending = send(args);
      } catch (cause) {
        fail(cause);
        return;
      }
      // The losing side of the race settles later, handled here either way:
      // a command queued by the client while Redis is away never becomes an
      // unhandled rejection.
      Promise.resolve(pending).then((value) => {
        clearTimeout(timer);
        resolve(value as Reply);
      }, fail);
    });
}

/** A reply as text (`null` stays `null`). */
export function text(reply: Reply): string | null {
  if (reply === null || reply === undefined) return null;
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new RedisUnavailableError('Redis answered with an unexpected reply');
}
