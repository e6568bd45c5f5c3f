import { createServer } from 'node:http';
import { runDemo } from '@jwks-auth/example-shared';
import { createApp } from './app.js';

// The demo around ./app.ts: a local issuer, the Express API on 127.0.0.1:3004
// (PORT overrides; a free port if 3004 is taken), curl commands with freshly
// signed tokens, SIGINT/SIGTERM stop both. After a few requests,
// `curl <origin>/metrics` shows the jwks_auth_* counters.
await runDemo({
  framework: 'Express with /metrics',
  defaultPort: 3004,
  createApi: (options) => {
    const { app, close } = createApp(options);
    return createServer(app).on('close', close);
  },
});
