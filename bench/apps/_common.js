import http from 'node:http';

// Shared plumbing for the benchmark apps. Each app reads its configuration
// from the environment, listens on 127.0.0.1:$PORT (0 = any) and prints
// {"port":N} as one JSON line on stdout once it accepts connections.
// The app exits when its stdin closes, so it never outlives the runner.

export const config = {
  port: Number(process.env.PORT ?? 0),
  host: '127.0.0.1',
  issuer: process.env.ISSUER ?? '',
  jwksUri: process.env.JWKS_URI ?? '',
  audience: process.env.AUDIENCE ?? 'https://api.example.test',
  // The rotation storm opens 500 connections at once: Node's default accept
  // backlog (511) overflows on a busy core and the kernel then drops
  // handshakes, adding ~1 s SYN-ACK retransmits to the measured latency.
  backlog: Number(process.env.BACKLOG ?? 4096),
  algorithms: (process.env.ALGORITHMS ?? 'RS256,ES256').split(',').filter(Boolean),
};

/** Fails fast when an auth app is started without its key-set configuration. */
export function requireAuthConfig() {
  if (!config.issuer || !config.jwksUri) {
    console.error('ISSUER and JWKS_URI must be set');
    process.exit(2);
  }
  return config;
}

/** Body of GET /hello: {"ok":true}, plus the subject when the request is authenticated. */
export function helloBody(sub) {
  return sub === undefined ? { ok: true } : { ok: true, sub };
}

/**
 * The subject the bare and floor apps echo, so every app answers a body of
 * the same shape (`{"ok":true,"sub":"user-NNNN"}`): the difference between
 * an auth app and its baseline is then the library's work, not the cost of
 * serializing a longer body.
 */
export const BASELINE_SUBJECT = 'user-1000';

/**
 * GETs a JSON document with node:http, as the peers and jwks-auth fetch key
 * sets. (Not the global fetch: loading undici leaves a node:http server
 * measurably slower for the rest of its life, and the baselines must not pay
 * a cost the libraries under test do not.)
 */
export function getJson(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(text));
          } catch (error) {
            reject(error);
          }
        });
      })
      .on('error', reject);
  });
}

/** Prints the bound port and ties the process lifetime to stdin. */
export function announce(port) {
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  process.stdin.on('data', () => {});
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

/** node:http server helper for Express and Koa: listen and announce. */
export function listenAndAnnounce(server) {
  server.listen({ port: config.port, host: config.host, backlog: config.backlog }, () =>
    announce(server.address().port),
  );
  server.on('error', (error) => {
    console.error(error);
    process.exit(1);
  });
}

/** Express error handler shared by every Express app (errors carry status or statusCode). */
export function expressErrorHandler(err, _req, res, _next) {
  const status = Number(err?.status ?? err?.statusCode ?? 500);
  if (res.headersSent) return;
  // jwks-auth errors carry their WWW-Authenticate / Retry-After headers.
  if (err?.headers && typeof err.headers === 'object') res.set(err.headers);
  res.status(status).json({ ok: false, error: err?.code ?? err?.name });
}
