/**
 * A real `redis-server` for one test file: started on 127.0.0.1 and a free
 * port, without persistence, stopped (and restartable on the same port, to
 * test an outage and the recovery after it) by the test.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import type { RedisClientLike } from '@jwks-auth/redis';

/** A free TCP port on 127.0.0.1, as the OS picks one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once a PING over a raw socket gets PONG. */
async function waitReady(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.setTimeout(500);
      socket.once('connect', () => socket.write('PING\r\n'));
      socket.once('data', (data) => {
        socket.destroy();
        resolve(data.toString().startsWith('+PONG'));
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => (socket.destroy(), resolve(false)));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not become ready');
}

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** Stops the server (SIGKILL: an outage, not a shutdown). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty (nothing when it is running). */
  start(): Promise<void>;
  /** Stops it for good. */
  close(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    if (child !== undefined && child.exitCode === null) return;
    const next = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = next;
    await waitReady(port, next);
  };
  const kill = async () => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, kill, start, close: kill };
}

/** A connected client of either kind, quiet about connection errors (the tests cause them). */
export interface TestClient {
  client: RedisClientLike;
  close(): Promise<void>;
}

export const CLIENTS = ['ioredis', 'node-redis'] as const;
export type ClientName = (typeof CLIENTS)[number];

export async function connect(name: ClientName, server: RedisServer): Promise<TestClient> {
  if (name === 'ioredis') {
    const client = new Redis(server.port, '127.0.0.1', {
      lazyConnect: true,
      retryStrategy: () => 100,
    });
    client.on('error', () => undefined);
    await client.connect();
    return { client, close: async () => void client.disconnect() };
  }
  const client = createClient({
    url: server.url,
    socket: { reconnectStrategy: () => 100 },
  });
  client.on('error', () => undefined);
  await client.connect();
  return {
    client: client as unknown as RedisClientLike,
    close: async () => {
      if (client.isOpen) client.destroy();
    },
  };
}
