import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Loopback host every test server binds to. */
export const HOST = '127.0.0.1';

/** Starts listening on `port` (0 lets the OS choose) and resolves with the bound port. */
export function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, HOST, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Stops listening and destroys every socket, including keep-alive and in-flight ones. */
export function stopListening(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve) => {
    server.close(() => resolve());
    // close() alone waits for active connections; tests must not wait on a
    // hung or keep-alive client to get their port (or process) back.
    server.closeAllConnections();
  });
}

/** A response body with its status and headers. */
export interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Writes `reply`, omitting the body for statuses that must not carry one. */
export function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.writableEnded) return;
  const bodyless = reply.status === 204 || reply.status === 304;
  res.writeHead(reply.status, {
    ...(bodyless
      ? {}
      : {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(reply.body)),
        }),
    ...reply.headers,
  });
  res.end(bodyless ? undefined : reply.body);
}

/** Produces a reply now or later (the token endpoint first reads the request body). */
export type Answer = () => Reply | Promise<Reply>;

/** Sends what `answer` produces; an answer that throws becomes a 500 `server_error`. */
export function respond(res: ServerResponse, answer: Answer): void {
  let reply: Reply | Promise<Reply>;
  try {
    reply = answer();
  } catch (error) {
    send(res, serverError(error));
    return;
  }
  if (reply instanceof Promise) {
    reply.then(
      (value) => send(res, value),
      (error: unknown) => send(res, serverError(error)),
    );
  } else {
    send(res, reply);
  }
}

function serverError(error: unknown): Reply {
  const description = error instanceof Error ? error.message : String(error);
  return json(500, { error: 'server_error', error_description: description });
}

/** A JSON reply. */
export function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  return { status, body: JSON.stringify(value), ...(headers ? { headers } : {}) };
}
