import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  InsufficientScopeError,
  InvalidRequestError,
  PROTECTED_RESOURCE_MAX_AGE,
  PROTECTED_RESOURCE_WELL_KNOWN,
  applyChallenge,
  createVerifier,
  protectedResourceMetadataUrl,
} from '@jwks-auth/core';
import type { JwksAuthError, Verifier, VerifierOptions } from '@jwks-auth/core';
import { protectedResourceResponse } from '@jwks-auth/core/adapter';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';

const ISSUER = 'https://id.example.test/';
const MCP = 'https://api.example.test/mcp';
const MCP_METADATA = 'https://api.example.test/.well-known/oauth-protected-resource/mcp';

const verifiers: Verifier[] = [];
function make(options: Partial<VerifierOptions>): Verifier {
  const verifier = createVerifier({ issuer: ISSUER, ...options } as VerifierOptions);
  verifiers.push(verifier);
  return verifier;
}
afterAll(() => {
  for (const v of verifiers) v.close();
});

const documentOf = (options: Partial<VerifierOptions>) =>
  make(options).options.protectedResource!.document;

async function rejection(promise: Promise<unknown>): Promise<JwksAuthError> {
  try {
    await promise;
  } catch (error) {
    return error as JwksAuthError;
  }
  throw new Error('expected a rejection');
}

describe('the metadata URL (RFC 9728 §3.1)', () => {
  it.each([
    ['https://api.example.test', 'https://api.example.test/.well-known/oauth-protected-resource'],
    ['https://api.example.test/', 'https://api.example.test/.well-known/oauth-protected-resource'],
    [MCP, MCP_METADATA],
    // A trailing slash is part of the path: it stays at the end of the URL.
    [`${MCP}/`, `${MCP_METADATA}/`],
    [
      'https://api.example.test/tenant/a/mcp',
      'https://api.example.test/.well-known/oauth-protected-resource/tenant/a/mcp',
    ],
    [
      'https://api.example.test:8443/mcp',
      'https://api.example.test:8443/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'https://api.example.test/%7Euser/mcp',
      'https://api.example.test/.well-known/oauth-protected-resource/%7Euser/mcp',
    ],
    ['http://127.0.0.1:3000/mcp', 'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp'],
  ])('%s → %s', (resource, url) => {
    expect(protectedResourceMetadataUrl(resource)).toBe(url);
    const resolved = make({ protectedResource: { resource } }).options.protectedResource!;
    expect(resolved.metadataUrl).toBe(url);
    expect(resolved.metadataPath).toBe(new URL(url).pathname);
    expect(resolved.metadataPath.startsWith(PROTECTED_RESOURCE_WELL_KNOWN)).toBe(true);
    // The document states the identifier exactly as configured.
    expect(resolved.document.resource).toBe(resource);
  });
});

describe('protectedResource validation', () => {
  it.each([
    [null, /"protectedResource" option must be an object/],
    ['https://api.example.test', /"protectedResource" option must be an object/],
    [[MCP], /"protectedResource" option must be an object/],
    [{}, /"protectedResource.resource" option must be an absolute URL/],
    [{ resource: '/mcp' }, /"protectedResource.resource" option must be an absolute URL/],
    [{ resource: ' https://a.test/' }, /"protectedResource.resource" option must be an absolute/],
    [
      { resource: 'urn:example:api' },
      /"protectedResource.resource" option must be an http\(s\) URL/,
    ],
    [
      { resource: 'http://api.example.test/mcp' },
      /"protectedResource.resource" option must be https:/,
    ],
    [{ resource: `${MCP}#frag` }, /must not have a fragment/],
    [
      { resource: 'https://API.example.test/mcp' },
      /"protectedResource.resource" option must be in canonical form: "https:\/\/api.example.test\/mcp"/,
    ],
    [
      { resource: 'https://api.example.test:443/mcp' },
      /canonical form: "https:\/\/api.example.test\/mcp"/,
    ],
    [
      { resource: 'https://api.example.test/a/../mcp' },
      /canonical form: "https:\/\/api.example.test\/mcp"/,
    ],
    [{ resource: 'HTTPS://api.example.test' }, /canonical form: "https:\/\/api.example.test"/],
    [{ resource: `${MCP}#` }, /must not have a fragment/],
    [{ resource: `${MCP}?tenant=a` }, /"protectedResource.resource" option must not have a query/],
    [{ resource: 'https://user:pw@api.example.test/' }, /must not carry user info/],
    [{ resource: MCP, authorizationServers: [] }, /"protectedResource.authorizationServers"/],
    [{ resource: MCP, authorizationServers: ISSUER }, /"protectedResource.authorizationServers"/],
    [{ resource: MCP, authorizationServers: ['not a url'] }, /authorizationServers" option/],
    [
      { resource: MCP, authorizationServers: ['http://as.example.test'] },
      /"protectedResource.authorizationServers" option must be https:/,
    ],
    [{ resource: MCP, authorizationServers: [ISSUER, ISSUER] }, /the same value twice/],
    [{ resource: MCP, scopesSupported: ['a b'] }, /"protectedResource.scopesSupported"/],
    [{ resource: MCP, scopesSupported: [42] }, /"protectedResource.scopesSupported"/],
    [{ resource: MCP, resourceName: '' }, /"protectedResource.resourceName"/],
    [{ resource: MCP, resourceName: 7 }, /"protectedResource.resourceName"/],
    [{ resource: MCP, documentation: 'docs' }, /"protectedResource.documentation"/],
    [{ resource: MCP, documentation: 'javascript:alert(1)' }, /"protectedResource.documentation"/],
    // Computed members can't be overridden through the pass-through.
    [
      { resource: MCP, authorization_servers: ['https://evil.test'] },
      /"protectedResource.authorization_servers" option is written by jwks-auth: use "protectedResource.authorizationServers"/,
    ],
    [
      { resource: MCP, bearer_methods_supported: ['query'] },
      /"protectedResource.bearer_methods_supported" option is written by jwks-auth from the verifier options/,
    ],
    [{ resource: MCP, dpop_bound_access_tokens_required: false }, /is written by jwks-auth/],
    [
      { resource: MCP, resource_documentation: 'https://d.test' },
      /use "protectedResource.documentation"/,
    ],
    // A misspelt option is not an extra member.
    [
      { resource: MCP, scopeSupported: ['a'] },
      /"protectedResource.scopeSupported" option is not a known option/,
    ],
    [
      { resource: MCP, custom_member: () => 1 },
      /"protectedResource.custom_member" option must be a JSON value/,
    ],
    [{ resource: MCP, custom_member: Number.NaN }, /must be a JSON value/],
    [{ resource: MCP, custom_member: [new Date()] }, /must be a JSON value/],
  ])('refuses %j at creation', (protectedResource, message) => {
    expect(() => make({ audience: null, protectedResource } as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringMatching(message) }),
    );
  });

  it('allows http on loopback, and elsewhere only with allowInsecureHttp', () => {
    expect(
      make({ protectedResource: { resource: 'http://localhost:8080' } }).options.audience,
    ).toEqual(['http://localhost:8080', 'http://localhost:8080/']);
    expect(() => make({ protectedResource: { resource: 'http://api.internal/mcp' } })).toThrow(
      TypeError,
    );
    const insecure = make({
      allowInsecureHttp: true,
      protectedResource: { resource: 'http://api.internal/mcp' },
    });
    expect(insecure.options.protectedResource!.metadataUrl).toBe(
      'http://api.internal/.well-known/oauth-protected-resource/mcp',
    );
  });

  it('still requires audience without protectedResource', () => {
    expect(() => make({})).toThrow(/"audience" option is required/);
    expect(() => make({ protectedResource: undefined } as never)).toThrow(
      /"audience" option is required/,
    );
  });
});

describe('the metadata document (RFC 9728 §2)', () => {
  it('states the resource, the issuers as authorization servers and the header method by default', () => {
    const document = documentOf({ protectedResource: { resource: MCP } });
    expect(document).toEqual({
      resource: MCP,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
    });
    expect(Object.isFrozen(document)).toBe(true);
    expect(Object.isFrozen(document.authorization_servers)).toBe(true);
  });

  it('lists every configured issuer, or the servers given', () => {
    const other = 'https://other.example.test';
    expect(
      documentOf({
        issuer: [ISSUER, { issuer: other, jwksUri: `${other}/jwks` }],
        protectedResource: { resource: MCP },
      }).authorization_servers,
    ).toEqual([ISSUER, other]);
    expect(
      documentOf({ protectedResource: { resource: MCP, authorizationServers: [other] } })
        .authorization_servers,
    ).toEqual([other]);
  });

  it('maps the named options and passes extra members through', () => {
    const document = documentOf({
      protectedResource: {
        resource: MCP,
        scopesSupported: ['mcp:tools', 'mcp:admin'],
        resourceName: 'Example MCP server',
        documentation: 'https://docs.example.test/mcp',
        tls_client_certificate_bound_access_tokens: true,
        resource_policy_uri: 'https://example.test/policy',
        ignored_when_undefined: undefined,
      },
    });
    expect(document).toEqual({
      resource: MCP,
      authorization_servers: [ISSUER],
      scopes_supported: ['mcp:tools', 'mcp:admin'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP server',
      resource_documentation: 'https://docs.example.test/mcp',
      tls_client_certificate_bound_access_tokens: true,
      resource_policy_uri: 'https://example.test/policy',
    });
    expect('ignored_when_undefined' in document).toBe(false);
  });

  it('keeps members whose names collide with Object.prototype as plain members', () => {
    const extra = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "c"}');
    const resolved = make({ protectedResource: { resource: MCP, ...extra } }).options
      .protectedResource!;
    expect(resolved.body).toBe(
      `{"resource":"${MCP}","authorization_servers":["${ISSUER}"],"bearer_methods_supported":["header"],"__proto__":{"polluted":true},"constructor":"c"}`,
    );
    expect(Object.hasOwn(resolved.document, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(resolved.document)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names every bearer method the verifier accepts, none with a custom getToken', () => {
    expect(
      documentOf({
        allowBodyToken: true,
        allowQueryToken: true,
        protectedResource: { resource: MCP },
      }).bearer_methods_supported,
    ).toEqual(['header', 'body', 'query']);
    const custom = documentOf({ getToken: () => undefined, protectedResource: { resource: MCP } });
    expect('bearer_methods_supported' in custom).toBe(false);
  });

  it('states the DPoP algorithms and whether DPoP is required when DPoP is on', () => {
    expect(
      documentOf({
        dpop: { algorithms: ['ES256', 'EdDSA'] },
        protectedResource: { resource: MCP },
      }),
    ).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA'],
      dpop_bound_access_tokens_required: false,
    });
    expect(
      documentOf({ dpop: { required: true }, protectedResource: { resource: MCP } })
        .dpop_bound_access_tokens_required,
    ).toBe(true);
    const plain = documentOf({ protectedResource: { resource: MCP } });
    expect('dpop_signing_alg_values_supported' in plain).toBe(false);
    expect('dpop_bound_access_tokens_required' in plain).toBe(false);
  });

  it('does not claim signed responses: resource_signing_alg_values_supported only when given', () => {
    expect(
      'resource_signing_alg_values_supported' in
        documentOf({ protectedResource: { resource: MCP } }),
    ).toBe(false);
    expect(
      documentOf({
        protectedResource: { resource: MCP, resource_signing_alg_values_supported: ['ES256'] },
      }).resource_signing_alg_values_supported,
    ).toEqual(['ES256']);
  });
});

describe('protectedResourceResponse (adapter kit)', () => {
  const verifier = () => make({ protectedResource: { resource: MCP, resourceName: 'MCP' } });
  const path = '/.well-known/oauth-protected-resource/mcp';

  it('answers GET with the JSON document, public, cacheable and readable cross-origin', () => {
    const response = protectedResourceResponse(verifier(), 'GET', path)!;
    const body = JSON.stringify({
      resource: MCP,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      resource_name: 'MCP',
    });
    expect(response).toEqual({
      status: 200,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Cache-Control': `public, max-age=${PROTECTED_RESOURCE_MAX_AGE}`,
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': String(Buffer.byteLength(body)),
      },
      body,
    });
  });

  it('answers HEAD with the same headers and no body, ignoring the query', () => {
    const v = verifier();
    const get = protectedResourceResponse(v, 'GET', path)!;
    expect(protectedResourceResponse(v, 'HEAD', `${path}?x=1`)).toEqual({
      status: 200,
      headers: get.headers,
      body: undefined,
    });
  });

  it('answers a CORS preflight, and 405 with Allow for other methods', () => {
    const v = verifier();
    expect(protectedResourceResponse(v, 'OPTIONS', path)).toEqual({
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Max-Age': String(PROTECTED_RESOURCE_MAX_AGE),
      },
      body: undefined,
    });
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', undefined]) {
      expect(protectedResourceResponse(v, method, path)).toEqual({
        status: 405,
        headers: { Allow: 'GET, HEAD, OPTIONS' },
        body: undefined,
      });
    }
  });

  it('leaves every other path, and verifiers without the option, to authentication', () => {
    const v = verifier();
    for (const other of [
      '/mcp',
      '/.well-known/oauth-protected-resource',
      `${path}/`,
      `${path}x`,
      `${path}/tools`,
      `/x${path}`,
      '',
      undefined,
    ]) {
      expect(protectedResourceResponse(v, 'GET', other)).toBeUndefined();
    }
    expect(protectedResourceResponse(make({ audience: MCP }), 'GET', path)).toBeUndefined();
  });

  it('serves a resource without a path at the bare well-known path', () => {
    const v = make({ protectedResource: { resource: 'https://api.example.test' } });
    expect(protectedResourceResponse(v, 'GET', PROTECTED_RESOURCE_WELL_KNOWN)?.status).toBe(200);
    expect(
      protectedResourceResponse(v, 'GET', `${PROTECTED_RESOURCE_WELL_KNOWN}/`),
    ).toBeUndefined();
  });
});

describe('resource_metadata in challenges (RFC 9728 §5.1)', () => {
  const resourceMetadata = `resource_metadata="${MCP_METADATA}"`;

  it('ends every 400, 401 and 403 challenge, Bearer and DPoP', async () => {
    const v = make({ protectedResource: { resource: MCP } });
    const none = await rejection(v.authenticate({ headers: {} }));
    expect(none.headers['WWW-Authenticate']).toBe(`Bearer realm="api", ${resourceMetadata}`);
    const bad = await rejection(v.authenticate({ headers: { authorization: 'Bearer x' } }));
    expect(bad.headers['WWW-Authenticate']).toBe(
      `Bearer realm="api", error="invalid_token", error_description="the token is not a JWT", ${resourceMetadata}`,
    );
    const malformed = applyChallenge(new InvalidRequestError('bad'), v.challenge);
    expect(malformed.headers['WWW-Authenticate']).toBe(
      `Bearer realm="api", error="invalid_request", error_description="bad", ${resourceMetadata}`,
    );
    const scope = applyChallenge(
      new InsufficientScopeError('ERR_INSUFFICIENT_SCOPE', 'the token lacks a required scope', {
        scope: 'mcp:admin',
      }),
      v.challenge,
    );
    expect(scope.headers['WWW-Authenticate']).toBe(
      `Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="mcp:admin", ${resourceMetadata}`,
    );
    const dpop = make({ dpop: { algorithms: ['ES256'] }, protectedResource: { resource: MCP } });
    const both = await rejection(dpop.authenticate({ headers: {} }));
    expect(both.headers['WWW-Authenticate']).toBe(
      `Bearer realm="api", ${resourceMetadata}, DPoP algs="ES256", ${resourceMetadata}`,
    );
  });

  it('is built from the resource, whatever Host the request names', async () => {
    const v = make({ protectedResource: { resource: MCP } });
    const error = await rejection(v.authenticate({ headers: { host: 'evil.example.test' } }));
    expect(error.headers['WWW-Authenticate']).toContain(resourceMetadata);
    expect(error.headers['WWW-Authenticate']).not.toContain('evil');
  });

  it('is absent without protectedResource', async () => {
    const error = await rejection(make({ audience: MCP }).authenticate({ headers: {} }));
    expect(error.headers['WWW-Authenticate']).toBe('Bearer realm="api"');
  });
});

describe('the audience a resource implies (RFC 8707)', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer.close());

  const withIssuer = (options: Partial<VerifierOptions>) =>
    make({ issuer: issuer.issuer, ...options });

  it('is the resource, with or without one trailing slash', async () => {
    for (const resource of [MCP, `${MCP}/`]) {
      const v = withIssuer({ protectedResource: { resource } });
      expect(v.options.audience).toEqual([resource, resource.endsWith('/') ? MCP : `${MCP}/`]);
      for (const aud of [MCP, `${MCP}/`, [MCP, 'https://other.test']]) {
        await expect(v.verify(await issuer.sign({ aud }))).resolves.toBeDefined();
      }
      for (const aud of [`${MCP}//`, `${MCP}/x`, 'https://api.example.test', MCP.toUpperCase()]) {
        const error = await rejection(v.verify(await issuer.sign({ aud })));
        expect(error.code).toBe('ERR_AUDIENCE_INVALID');
      }
    }
  });

  it('yields to an explicit audience, null included', async () => {
    const other = 'https://other.example.test';
    const v = withIssuer({ audience: other, protectedResource: { resource: MCP } });
    expect((await rejection(v.verify(await issuer.sign({ aud: MCP })))).code).toBe(
      'ERR_AUDIENCE_INVALID',
    );
    await expect(v.verify(await issuer.sign({ aud: other }))).resolves.toBeDefined();
    const unchecked = withIssuer({ audience: null, protectedResource: { resource: MCP } });
    await expect(unchecked.verify(await issuer.sign({ aud: other }))).resolves.toBeDefined();
  });
});
