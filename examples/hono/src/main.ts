import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import { runDemo } from '@jwks-auth/example-shared';
import { createApp } from './app.js';

// The demo around ./app.ts: a local issuer, the Hono API on Node
// (@hono/node-server) at 127.0.0.1:3003 (PORT overrides; a free port if 3003
// is taken), curl commands with freshly signed tokens, SIGINT/SIGTERM stop
// both. See ../../shared/src/index.ts.
await runDemo({
  framework: 'Hono',
  defaultPort: 3003,
  createApi: (options) => createAdaptorServer({ fetch: createApp(options).fetch }) as Server,
});
