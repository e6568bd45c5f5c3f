import { createServer } from 'node:http';
import { runDemo } from '@jwks-auth/example-shared';
import { createApp } from './app.js';

// The demo around ./app.ts: a local issuer, the Express API on 127.0.0.1:3000
// (PORT overrides; a free port if 3000 is taken), curl commands with freshly
// signed tokens, SIGINT/SIGTERM stop both. See ../../shared/src/index.ts.
await runDemo({
  framework: 'Express',
  defaultPort: 3000,
  createApi: (options) => createServer(createApp(options)),
});
