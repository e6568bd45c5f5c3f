import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Express } from 'express';
import request from 'supertest';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { TOOLS_SCOPE, createApp } from '../src/app.js';

const RESOURCE = 'https://mcp.example.test/mcp';
const METADATA = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';
const CALL = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami' } };

let issuer: TestIssuer;
let app: Express;

beforeAll(async () => {
  issuer = await createTestIssuer();
  app = createApp({ issuer: issuer.issuer, protectedResource: { resource: RESOURCE } });
});

afterAll(() => issuer.close());

const mcpPost = (token: string) =>
  request(app)
    .post('/mcp')
    .set('Authorization', `Bearer ${token}`)
    .set('Accept', 'application/json, text/event-stream')
    .send(CALL);

describe('MCP example app', () => {
  it('serves the metadata on any host, pointing challenges at the resource URL', async () => {
    const res = await request(app)
      .get('/.well-known/oauth-protected-resource/mcp')
      .set('Host', 'internal:8080');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resource: RESOURCE, authorization_servers: [issuer.issuer] });
    const denied = await request(app).post('/mcp').set('Host', 'internal:8080');
    expect(denied.headers['www-authenticate']).toBe(
      `Bearer realm="api", resource_metadata="${METADATA}"`,
    );
  });

  it("answers tools/call whoami with the token's sub", async () => {
    const token = await issuer.sign({ aud: RESOURCE, sub: 'dave', scope: TOOLS_SCOPE });
    const res = await mcpPost(token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      jsonrpc: '2.0',
      id: 7,
      result: { content: [{ type: 'text', text: 'dave' }] },
    });
  });

  it('answers a token naming no client 401 invalid_token with resource_metadata, not a 500', async () => {
    const token = await issuer.sign({ aud: RESOURCE, scope: TOOLS_SCOPE, client_id: undefined });
    const res = await mcpPost(token);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${METADATA}"`);
  });

  it('answers 405 to GET with a valid token (stateless: no server-to-client stream)', async () => {
    const token = await issuer.sign({ aud: RESOURCE, scope: TOOLS_SCOPE });
    const res = await request(app).get('/mcp').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('POST');
  });
});
