// Compile-time test of the public types (root `typecheck`, and test/types.test.ts
// runs tsc on it alone). Every `@ts-expect-error` must stay an error.
import Fastify from 'fastify';
import jwksAuthDefault, {
  claimCheck,
  claimEquals,
  claimIncludes,
  jwksAuth,
  requiredScopes,
} from '@jwks-auth/fastify';
import type { VerifyResult } from '@jwks-auth/fastify';

const issuer = 'https://id.example.test/';
const app = Fastify();
await app.register(jwksAuth, {
  issuer,
  audience: 'api',
  getToken: (request) => request.headers['x-token']?.toString(),
});
await app.register(jwksAuthDefault, { issuer, audience: null, realm: 'other' });

app.get(
  '/me',
  {
    config: { jwksAuth: 'optional' },
    preHandler: [
      requiredScopes('read'),
      requiredScopes(['read', 'write'], { any: true }),
      claimEquals('org', 'acme'),
      claimIncludes('roles', 'admin'),
      claimCheck((payload) => payload.sub !== undefined, 'sub required'),
    ],
  },
  async (request) => {
    const result: VerifyResult | null = request.auth;
    // @ts-expect-error auth is null when the route skipped auth or no token came
    const _sure: VerifyResult = request.auth;
    // @ts-expect-error the verified result is read-only
    request.auth!.token = 'other';
    return { result, sub: request.auth?.payload.sub };
  },
);
app.get('/open', { config: { jwksAuth: false } }, async (request) => ({
  open: request.routeOptions.config.jwksAuth === false,
}));
app.get('/strict', { config: { jwksAuth: true }, preHandler: requiredScopes('read') }, () => '');

// @ts-expect-error config.jwksAuth is boolean | 'optional'
app.get('/typo', { config: { jwksAuth: 'required' } }, async () => ({}));
// audience is optional in the type (`protectedResource` may name it); without either, register fails.
// @ts-expect-error protectedResource needs its resource
void app.register(jwksAuth, { issuer, protectedResource: { resourceName: 'API' } });

// The plugin's decorator: its verifier, and route helpers bound to its realm.
const warmed: Promise<void> = app.jwksAuth.verifier.warmup();
void warmed;
app.post('/bound', { preHandler: app.jwksAuth.claimCheck(async () => true, 'd') }, () => '');
// @ts-expect-error scopes are strings
app.jwksAuth.requiredScopes(42);
