import { createVerifier } from '@jwks-auth/core';
import type { AuthCheck, RequestLike, VerifyResult } from '@jwks-auth/core';
import {
  CHALLENGE_KEY,
  authenticateThen,
  checkThen,
  errorResponse,
  errorToResponse,
  protectedResourceResponse,
  routeHelpers,
} from '@jwks-auth/core/adapter';
import type { AuthTarget, ChallengeOptions, RouteHelpers } from '@jwks-auth/core/adapter';
import type { Context, Next } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { hasFormBody, requestOf, targetOf, waitUntilOf, withBody } from './request.js';
import type {
  JwksAuthEnv,
  JwksAuthHandler,
  JwksAuthHonoOptions,
  JwksAuthMiddleware,
  JwksAuthOptions,
  JwksAuthVariables,
} from './types.js';

export type {
  JwksAuthEnv,
  JwksAuthHandler,
  JwksAuthHonoOptions,
  JwksAuthMiddleware,
  JwksAuthOptions,
  JwksAuthVariables,
};
// The core's surface, so users install one package; the route helpers
// below are this adapter's (framework handlers, not the core's checks).
export * from '@jwks-auth/core/common';

/** How a middleware's failures read and leave: its challenge, and whether they are thrown. */
interface Settings {
  readonly challenge: Readonly<ChallengeOptions> | undefined;
  readonly throws: boolean;
}

/** The status codes Hono takes for a response with a body. */
type Status = ConstructorParameters<typeof HTTPException>[0] & number;

const DEFAULTS: Settings = Object.freeze({ challenge: undefined, throws: false });

/** The settings of the `jwksAuth()` that ran on a request, when not the defaults (for standalone helpers). */
const recorded = new WeakMap<Context, Settings>();

/**
 * Answers `error`: the RFC 6750 response (status, `WWW-Authenticate`,
 * `Retry-After`, `DPoP-Nonce`, JSON body), or an `HTTPException` carrying
 * it; any other error is rethrown for Hono's `onError`.
 */
function fail(c: Context, error: unknown, throws: boolean): Response {
  const answer = errorResponse(error);
  if (answer === undefined) throw error;
  const status = answer.status as Status;
  if (!throws) return c.json(answer.body, status, answer.headers);
  throw new HTTPException(status, {
    res: errorToResponse(error)!,
    message: (error as Error).message,
    cause: error,
  });
}

const pass = (): undefined => undefined;

/** Route middleware running `check`, with the middleware's settings, else those recorded on `c`. */
const guard =
  (own?: Settings) =>
  (check: AuthCheck): JwksAuthHandler =>
    function jwksAuthGuard(c: Context<JwksAuthEnv>, next: Next) {
      const { challenge, throws } = own ?? recorded.get(c) ?? DEFAULTS;
      let outcome: undefined | Promise<undefined>;
      try {
        outcome = checkThen(check, c.get('auth'), challenge, pass);
      } catch (error) {
        return fail(c, error, throws);
      }
      if (outcome instanceof Promise) return outcome.then(next, (e: unknown) => fail(c, e, throws));
      return next();
    } as unknown as JwksAuthHandler;

function errorsMode(adapter: JwksAuthHonoOptions): boolean {
  if (typeof adapter !== 'object' || adapter === null) {
    throw new TypeError('jwksAuth() second argument must be an object');
  }
  for (const name of Object.keys(adapter)) {
    if (name !== 'errors') throw new TypeError(`unknown jwksAuth() adapter option "${name}"`);
  }
  const { errors = 'respond' } = adapter;
  if (errors !== 'respond' && errors !== 'throw') {
    throw new TypeError(`"errors" option must be 'respond' or 'throw'`);
  }
  return errors === 'throw';
}

/**
 * Hono middleware that authenticates the bearer token of every request and
 * sets `c.var.auth` (`c.get('auth')`). Failures are answered with the
 * RFC 6750 response (status, `WWW-Authenticate`, `Retry-After`, JSON body),
 * or thrown to `app.onError` as an `HTTPException` with `{ errors: 'throw' }`.
 * Options are validated here: a mistake throws a `TypeError` now. Runs on
 * Node (`@hono/node-server`), Bun, Deno and Cloudflare Workers.
 *
 * @example
 * const auth = jwksAuth({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * const app = new Hono<JwksAuthEnv>();
 * app.use('/api/*', auth);
 * app.get('/api/me', (c) => c.json({ sub: c.var.auth?.payload.sub }));
 * app.post('/api/messages', auth.requiredScopes('write:messages'), handler);
 */
export function jwksAuth(
  options: JwksAuthOptions,
  adapter: JwksAuthHonoOptions = {},
): JwksAuthMiddleware {
  const throws = errorsMode(adapter);
  const verifier = createVerifier<Context>(options, { targetOf, waitUntil: waitUntilOf });
  const nonces = verifier.options.dpop?.nonce !== undefined;
  const bodies = verifier.options.allowBodyToken;
  const metadata = verifier.options.protectedResource !== undefined;
  const settings: Settings = Object.freeze({ challenge: verifier.challenge, throws });

  function run(
    c: Context,
    next: Next,
    request: RequestLike | Request,
  ): Response | Promise<Response | void> {
    const slot: AuthTarget = {};
    let headers: Record<string, string> | undefined;
    const respond = nonces ? (h: Record<string, string>) => void (headers = h) : undefined;
    const proceed = (): Promise<void> => {
      if (slot.auth !== undefined) c.set('auth', slot.auth as VerifyResult);
      if (throws || slot[CHALLENGE_KEY] !== undefined) recorded.set(c, settings);
      if (headers === undefined) return next();
      const sent = headers;
      // After next(): the handler's response exists, whichever way it was made.
      return next().then(() => {
        for (const [name, value] of Object.entries(sent)) c.header(name, value);
      });
    };
    let outcome: undefined | Promise<undefined>;
    try {
      outcome = authenticateThen(verifier, request, c, slot, pass, respond);
    } catch (error) {
      return fail(c, error, throws);
    }
    if (outcome instanceof Promise)
      return outcome.then(proceed, (e: unknown) => fail(c, e, throws));
    return proceed();
  }

  function authenticate(c: Context, next: Next): Response | Promise<Response | void> {
    if (metadata) {
      // RFC 9728 metadata: served unauthenticated, at the path the client asked for.
      const m = protectedResourceResponse(verifier, c.req.method, c.req.path);
      if (m !== undefined) return c.newResponse(m.body ?? null, m.status as never, m.headers);
    }
    if (bodies && hasFormBody(c)) {
      return withBody(c).then((request) => run(c, next, request));
    }
    return run(c, next, requestOf(c));
  }

  return Object.assign(
    authenticate as unknown as JwksAuthHandler,
    { verifier },
    routeHelpers(guard(settings)),
  );
}

/**
 * Route middleware for the realm of the `jwksAuth()` that ran (prefer the
 * ones on the middleware, `auth.requiredScopes(...)`, which always know it).
 *
 * @example
 * app.post('/messages', requiredScopes('write:messages'), handler);
 * app.post('/transfer', requiredAuthentication({ acrValues: ['urn:mfa'], maxAge: 300 }), handler);
 * app.get('/acme', claimEquals('org_id', 'acme'), handler);
 * app.delete('/users/:id', claimIncludes('roles', 'admin'), handler);
 * app.get('/inbox', claimCheck((p) => p.email_verified === true, 'email must be verified'), handler);
 */
const standalone: RouteHelpers<JwksAuthHandler> = routeHelpers(guard());
export const requiredScopes: RouteHelpers<JwksAuthHandler>['requiredScopes'] =
  standalone.requiredScopes;
export const requiredAuthentication: RouteHelpers<JwksAuthHandler>['requiredAuthentication'] =
  standalone.requiredAuthentication;
export const claimEquals: RouteHelpers<JwksAuthHandler>['claimEquals'] = standalone.claimEquals;
export const claimIncludes: RouteHelpers<JwksAuthHandler>['claimIncludes'] =
  standalone.claimIncludes;
export const claimCheck: RouteHelpers<JwksAuthHandler>['claimCheck'] = standalone.claimCheck;
