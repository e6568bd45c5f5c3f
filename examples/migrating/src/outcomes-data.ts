/**
 * What each before and after app answers, request by request: the data behind
 * the "What changes" table of each guide. Recorded from the apps and checked by
 * test/migrating.test.ts on every run; edit it together with the apps.
 */
import type { CaseName, Outcome, PeerOutcomes } from './outcomes.js';

/**
 * What the jwks-auth Fastify plugin answers in the fastify-jwt guide; the
 * fastify-auth0-verify guide's app answers the same but where the identity
 * provider is down (its key set URL is configured, so discovery never runs).
 */
const FASTIFY_AFTER: Record<CaseName, Outcome> = {
  'valid token': {
    status: 200,
    challenge: null,
    retryAfter: null,
    body: { json: { sub: 'test-user' } },
  },
  'scope granted': {
    status: 200,
    challenge: null,
    retryAfter: null,
    body: { json: { messages: [{ id: 1, text: 'hello' }] } },
  },
  'no token': {
    status: 401,
    challenge: 'Bearer realm="api"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_NO_TOKEN',
        error: 'Unauthorized',
        message: 'no bearer token in the request',
      },
    },
  },
  'not Bearer': {
    status: 400,
    challenge:
      'Bearer realm="api", error="invalid_request", error_description="the Authorization header must be Bearer followed by one token"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 400,
        code: 'ERR_INVALID_REQUEST',
        error: 'Bad Request',
        message: 'the Authorization header must be Bearer followed by one token',
      },
    },
  },
  expired: {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_TOKEN_EXPIRED',
        error: 'Unauthorized',
        message: 'the token has expired',
      },
    },
  },
  'wrong audience': {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="the token audience is not accepted"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_AUDIENCE_INVALID',
        error: 'Unauthorized',
        message: 'the token audience is not accepted',
      },
    },
  },
  'wrong issuer': {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="the token issuer is not accepted"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_ISSUER_INVALID',
        error: 'Unauthorized',
        message: 'the token issuer is not accepted',
      },
    },
  },
  'bad signature': {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="the token signature is invalid"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_SIGNATURE_INVALID',
        error: 'Unauthorized',
        message: 'the token signature is invalid',
      },
    },
  },
  'alg none': {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_TOKEN_MALFORMED',
        error: 'Unauthorized',
        message: 'the token is not a JWT',
      },
    },
  },
  'not a JWT': {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_TOKEN_MALFORMED',
        error: 'Unauthorized',
        message: 'the token is not a JWT',
      },
    },
  },
  'unknown kid': {
    status: 401,
    challenge:
      'Bearer realm="api", error="invalid_token", error_description="no key in the key set matches the token"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 401,
        code: 'ERR_KEY_NOT_FOUND',
        error: 'Unauthorized',
        message: 'no key in the key set matches the token',
      },
    },
  },
  'insufficient scope': {
    status: 403,
    challenge:
      'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:messages"',
    retryAfter: null,
    body: {
      json: {
        statusCode: 403,
        code: 'ERR_INSUFFICIENT_SCOPE',
        error: 'Forbidden',
        message: 'the token lacks a required scope',
      },
    },
  },
  'identity provider down': {
    status: 503,
    challenge: null,
    retryAfter: '1',
    body: {
      json: {
        statusCode: 503,
        code: 'ERR_DISCOVERY_FAILED',
        error: 'Service Unavailable',
        message: 'the identity provider metadata is unavailable',
      },
    },
  },
};

export const OUTCOMES: readonly PeerOutcomes[] = [
  {
    id: 'express-jwt',
    before: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'not Bearer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      expired: {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'wrong audience': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'wrong issuer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'bad signature': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'alg none': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'not a JWT': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'unknown kid': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { html: 'invalid token...' },
      },
      'insufficient scope': {
        status: 403,
        challenge: null,
        retryAfter: null,
        body: { html: 'insufficient scope' },
      },
      'identity provider down': {
        status: 500,
        challenge: null,
        retryAfter: null,
        body: { html: 'JwksError: Service Unavailable' },
      },
    },
    after: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: 'Bearer realm="api"',
        retryAfter: null,
        body: {
          json: { error: 'unauthorized', error_description: 'no bearer token in the request' },
        },
      },
      'not Bearer': {
        status: 400,
        challenge:
          'Bearer realm="api", error="invalid_request", error_description="the Authorization header must be Bearer followed by one token"',
        retryAfter: null,
        body: {
          json: {
            error: 'invalid_request',
            error_description: 'the Authorization header must be Bearer followed by one token',
          },
        },
      },
      expired: {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
        retryAfter: null,
        body: { json: { error: 'invalid_token', error_description: 'the token has expired' } },
      },
      'wrong audience': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token audience is not accepted"',
        retryAfter: null,
        body: {
          json: { error: 'invalid_token', error_description: 'the token audience is not accepted' },
        },
      },
      'wrong issuer': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token issuer is not accepted"',
        retryAfter: null,
        body: {
          json: { error: 'invalid_token', error_description: 'the token issuer is not accepted' },
        },
      },
      'bad signature': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token signature is invalid"',
        retryAfter: null,
        body: {
          json: { error: 'invalid_token', error_description: 'the token signature is invalid' },
        },
      },
      'alg none': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
        retryAfter: null,
        body: { json: { error: 'invalid_token', error_description: 'the token is not a JWT' } },
      },
      'not a JWT': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
        retryAfter: null,
        body: { json: { error: 'invalid_token', error_description: 'the token is not a JWT' } },
      },
      'unknown kid': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="no key in the key set matches the token"',
        retryAfter: null,
        body: {
          json: {
            error: 'invalid_token',
            error_description: 'no key in the key set matches the token',
          },
        },
      },
      'insufficient scope': {
        status: 403,
        challenge:
          'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:messages"',
        retryAfter: null,
        body: {
          json: {
            error: 'insufficient_scope',
            error_description: 'the token lacks a required scope',
          },
        },
      },
      'identity provider down': {
        status: 503,
        challenge: null,
        retryAfter: '1',
        body: {
          json: {
            error: 'temporarily_unavailable',
            error_description: 'authentication is temporarily unavailable',
          },
        },
      },
    },
  },
  {
    id: 'express-oauth2-jwt-bearer',
    before: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge:
          'Bearer realm="api", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'UnauthorizedError: Unauthorized' },
      },
      'not Bearer': {
        status: 400,
        challenge:
          'Bearer realm="api", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'InvalidRequestError: ' },
      },
      expired: {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="\'exp\' claim timestamp check failed", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: "exp" claim timestamp check failed' },
      },
      'wrong audience': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="Unexpected \'aud\' value", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: "InvalidTokenError: Unexpected 'aud' value" },
      },
      'wrong issuer': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="Unexpected \'iss\' value", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: "InvalidTokenError: Unexpected 'iss' value" },
      },
      'bad signature': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="signature verification failed", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: signature verification failed' },
      },
      'alg none': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="Unsupported algorithm \'none\' for JWKS-based verification. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES256K, ES384, ES512, EdDSA", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: {
          html: 'InvalidTokenError: Unsupported algorithm "none" for JWKS-based verification. Supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES256K, ES384, ES512, EdDSA',
        },
      },
      'not a JWT': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="Invalid Token or Protected Header formatting", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: Invalid Token or Protected Header formatting' },
      },
      'unknown kid': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="no applicable key found in the JSON Web Key Set", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: no applicable key found in the JSON Web Key Set' },
      },
      'insufficient scope': {
        status: 403,
        challenge:
          'Bearer realm="api", error="insufficient_scope", error_description="Insufficient Scope", scope="read:messages"',
        retryAfter: null,
        body: { html: 'InsufficientScopeError: Insufficient Scope' },
      },
      'identity provider down': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="Failed to fetch authorization server metadata", DPoP algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES256K ES384 ES512 EdDSA"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: Failed to fetch authorization server metadata' },
      },
    },
    after: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: 'Bearer realm="api"',
        retryAfter: null,
        body: { html: 'UnauthorizedError: no bearer token in the request' },
      },
      'not Bearer': {
        status: 400,
        challenge:
          'Bearer realm="api", error="invalid_request", error_description="the Authorization header must be Bearer followed by one token"',
        retryAfter: null,
        body: {
          html: 'InvalidRequestError: the Authorization header must be Bearer followed by one token',
        },
      },
      expired: {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: the token has expired' },
      },
      'wrong audience': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token audience is not accepted"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: the token audience is not accepted' },
      },
      'wrong issuer': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token issuer is not accepted"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: the token issuer is not accepted' },
      },
      'bad signature': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token signature is invalid"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: the token signature is invalid' },
      },
      'alg none': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: the token is not a JWT' },
      },
      'not a JWT': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: the token is not a JWT' },
      },
      'unknown kid': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="no key in the key set matches the token"',
        retryAfter: null,
        body: { html: 'InvalidTokenError: no key in the key set matches the token' },
      },
      'insufficient scope': {
        status: 403,
        challenge:
          'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:messages"',
        retryAfter: null,
        body: { html: 'InsufficientScopeError: the token lacks a required scope' },
      },
      'identity provider down': {
        status: 503,
        challenge: null,
        retryAfter: '1',
        body: { html: 'KeySetUnavailableError: the identity provider metadata is unavailable' },
      },
    },
  },
  {
    id: 'fastify-jwt',
    before: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_NO_AUTHORIZATION_IN_HEADER',
            error: 'Unauthorized',
            message: 'No Authorization was found in request.headers',
          },
        },
      },
      'not Bearer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_NO_AUTHORIZATION_IN_HEADER',
            error: 'Unauthorized',
            message: 'No Authorization was found in request.headers',
          },
        },
      },
      expired: {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_EXPIRED',
            error: 'Unauthorized',
            message: 'Authorization token expired',
          },
        },
      },
      'wrong audience': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The aud claim value is not allowed.',
          },
        },
      },
      'wrong issuer': {
        status: 500,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 500,
            code: 'DOMAIN_NOT_ALLOWED',
            error: 'Internal Server Error',
            message: 'The domain is not allowed.',
          },
        },
      },
      'bad signature': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The token signature is invalid.',
          },
        },
      },
      'alg none': {
        status: 500,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 500,
            code: 'JWK_NOT_FOUND',
            error: 'Internal Server Error',
            message: 'No matching JWK found in the set.',
          },
        },
      },
      'not a JWT': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The token is malformed.',
          },
        },
      },
      'unknown kid': {
        status: 500,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 500,
            code: 'JWK_NOT_FOUND',
            error: 'Internal Server Error',
            message: 'No matching JWK found in the set.',
          },
        },
      },
      'insufficient scope': {
        status: 403,
        challenge: null,
        retryAfter: null,
        body: { json: { message: 'insufficient scope' } },
      },
      'identity provider down': {
        status: 500,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 500,
            code: 'OPENID_CONFIGURATION_REQUEST_FAILED',
            error: 'Internal Server Error',
            message: 'OpenID configuration request failed',
          },
        },
      },
    },
    after: FASTIFY_AFTER,
  },
  {
    id: 'fastify-auth0-verify',
    before: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            error: 'Unauthorized',
            message: 'Missing Authorization HTTP header.',
          },
        },
      },
      'not Bearer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            error: 'Unauthorized',
            message: 'Missing Authorization HTTP header.',
          },
        },
      },
      expired: {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { json: { statusCode: 401, error: 'Unauthorized', message: 'Expired token.' } },
      },
      'wrong audience': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The aud claim value is not allowed.',
          },
        },
      },
      'wrong issuer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The iss claim value is not allowed.',
          },
        },
      },
      'bad signature': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The token signature is invalid.',
          },
        },
      },
      'alg none': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            error: 'Unauthorized',
            message: 'Missing Key: Public key must be provided',
          },
        },
      },
      'not a JWT': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            code: 'FST_JWT_AUTHORIZATION_TOKEN_INVALID',
            error: 'Unauthorized',
            message: 'Authorization token is invalid: The token is malformed.',
          },
        },
      },
      'unknown kid': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 401,
            error: 'Unauthorized',
            message: 'Missing Key: Public key must be provided',
          },
        },
      },
      'insufficient scope': {
        status: 403,
        challenge: null,
        retryAfter: null,
        body: { json: { message: 'insufficient scope' } },
      },
      'identity provider down': {
        status: 500,
        challenge: null,
        retryAfter: null,
        body: {
          json: {
            statusCode: 500,
            error: 'Internal Server Error',
            message:
              'Unable to get the JWS due to a HTTP error: [HTTP 503] {"error":"injected_fault","status":503}',
          },
        },
      },
    },
    after: {
      ...FASTIFY_AFTER,
      'identity provider down': {
        status: 503,
        challenge: null,
        retryAfter: '1',
        body: {
          json: {
            statusCode: 503,
            code: 'ERR_JWKS_UNAVAILABLE',
            error: 'Service Unavailable',
            message: 'the signing keys are unavailable',
          },
        },
      },
    },
  },
  {
    id: 'koa-jwt',
    before: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'not Bearer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: {
          text: 'Bad Authorization header format. Format is "Authorization: Bearer <token>"',
        },
      },
      expired: {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'wrong audience': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'wrong issuer': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'bad signature': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'alg none': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'not a JWT': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'unknown kid': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
      'insufficient scope': {
        status: 403,
        challenge: null,
        retryAfter: null,
        body: { text: 'insufficient scope' },
      },
      'identity provider down': {
        status: 401,
        challenge: null,
        retryAfter: null,
        body: { text: 'Authentication Error' },
      },
    },
    after: {
      'valid token': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { sub: 'test-user' } },
      },
      'scope granted': {
        status: 200,
        challenge: null,
        retryAfter: null,
        body: { json: { messages: [{ id: 1, text: 'hello' }] } },
      },
      'no token': {
        status: 401,
        challenge: 'Bearer realm="api"',
        retryAfter: null,
        body: { text: 'no bearer token in the request' },
      },
      'not Bearer': {
        status: 400,
        challenge:
          'Bearer realm="api", error="invalid_request", error_description="the Authorization header must be Bearer followed by one token"',
        retryAfter: null,
        body: { text: 'the Authorization header must be Bearer followed by one token' },
      },
      expired: {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
        retryAfter: null,
        body: { text: 'the token has expired' },
      },
      'wrong audience': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token audience is not accepted"',
        retryAfter: null,
        body: { text: 'the token audience is not accepted' },
      },
      'wrong issuer': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token issuer is not accepted"',
        retryAfter: null,
        body: { text: 'the token issuer is not accepted' },
      },
      'bad signature': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token signature is invalid"',
        retryAfter: null,
        body: { text: 'the token signature is invalid' },
      },
      'alg none': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
        retryAfter: null,
        body: { text: 'the token is not a JWT' },
      },
      'not a JWT': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
        retryAfter: null,
        body: { text: 'the token is not a JWT' },
      },
      'unknown kid': {
        status: 401,
        challenge:
          'Bearer realm="api", error="invalid_token", error_description="no key in the key set matches the token"',
        retryAfter: null,
        body: { text: 'no key in the key set matches the token' },
      },
      'insufficient scope': {
        status: 403,
        challenge:
          'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:messages"',
        retryAfter: null,
        body: { text: 'the token lacks a required scope' },
      },
      'identity provider down': {
        status: 503,
        challenge: null,
        retryAfter: '1',
        body: { text: 'Service Unavailable' },
      },
    },
  },
];
