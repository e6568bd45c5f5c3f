import { runDemo } from '@jwks-auth/example-shared';
import { buildApp } from './app.js';

// The demo around ./app.ts: a local issuer, the Fastify API on 127.0.0.1:3002
// (PORT overrides; a free port if 3002 is taken), curl commands with freshly
// signed tokens, SIGINT/SIGTERM stop both. See ../../shared/src/index.ts.
await runDemo({
  framework: 'Fastify',
  defaultPort: 3002,
  createApi: (options) => buildApp(options),
});
