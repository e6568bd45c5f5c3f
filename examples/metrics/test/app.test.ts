import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { createApp } from '../src/app.js';
import type { MetricsExample } from '../src/app.js';

const audience = 'https://api.example.test';

let issuer: TestIssuer;
let example: MetricsExample;

beforeAll(async () => {
  issuer = await createTestIssuer();
  example = createApp({ issuer: issuer.issuer, audience });
});

afterAll(async () => {
  example.close();
  await issuer.close();
});

/** The value of the sample `series` (name and labels) in the exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('metrics example', () => {
  it('serves /metrics without a token, in the Prometheus text format', async () => {
    const res = await request(example.app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('# TYPE jwks_auth_requests_total counter');
    expect(res.text).toContain('# TYPE process_cpu_seconds_total counter');
  });

  it('counts the requests the API allowed and refused, by reason', async () => {
    const app = example.app;
    expect((await request(app).get('/public')).status).toBe(200);
    const reader = await issuer.sign({ aud: audience, scope: 'read:messages' });
    const bearer = `Bearer ${reader}`;
    expect((await request(app).get('/api/messages').set('Authorization', bearer)).status).toBe(200);
    expect((await request(app).get('/api/me').set('Authorization', bearer)).status).toBe(200);
    expect((await request(app).get('/api/me')).status).toBe(401);
    const wrongAudience = await issuer.sign({ aud: 'https://other.example' });
    const refused = await request(app)
      .get('/api/me')
      .set('Authorization', `Bearer ${wrongAudience}`);
    expect(refused.status).toBe(401);

    const text = (await request(app).get('/metrics')).text;
    const iss = `issuer="${issuer.issuer}"`;
    expect(sample(text, `jwks_auth_requests_total{outcome="allowed",reason="",${iss}}`)).toBe(2);
    expect(
      sample(text, 'jwks_auth_requests_total{outcome="denied",reason="ERR_NO_TOKEN",issuer=""}'),
    ).toBe(1);
    expect(
      sample(
        text,
        `jwks_auth_requests_total{outcome="denied",reason="ERR_AUDIENCE_INVALID",${iss}}`,
      ),
    ).toBe(1);
    expect(sample(text, 'jwks_auth_cache_lookups_total{result="hit"}')).toBe(1);
    expect(
      sample(text, `jwks_auth_jwks_fetches_total{${iss},reason="initial",result="success"}`),
    ).toBe(1);
    expect(sample(text, `jwks_auth_jwks_keys{${iss}}`)).toBe(1);
  });
});
