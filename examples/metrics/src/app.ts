import express from 'express';
import type { Express } from 'express';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { jwksAuth, jwksAuthErrorHandler, requiredScopes } from '@jwks-auth/express';
import type { JwksAuthOptions } from '@jwks-auth/express';
import { prometheusMetrics } from '@jwks-auth/metrics';

/** The API, the registry it exposes on `GET /metrics`, and what stops the metrics. */
export interface MetricsExample {
  app: Express;
  registry: Registry;
  /** Stops counting (the metrics subscribe to process-wide channels) and closes the verifier. */
  close(): void;
}

/**
 * Builds the example API without listening: the Express example's routes
 * (`/public`, `/api/me`, `/api/messages` with `read:messages`),
 * plus `GET /metrics` in the Prometheus text format, with jwks-auth's
 * metrics (every verification and key set fetch in this process) and
 * prom-client's default process metrics.
 *
 * @example
 * const { app } = createApp({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * app.listen(3000);
 */
export function createApp(options: JwksAuthOptions): MetricsExample {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const stopMetrics = prometheusMetrics({ registry });
  const app = express();

  // Open to the scraper: in production, serve it on an internal port or
  // behind the network rule your Prometheus uses.
  app.get('/metrics', async (_req, res, next) => {
    try {
      res.type(registry.contentType).send(await registry.metrics());
    } catch (error) {
      next(error);
    }
  });

  app.get('/public', (_req, res) => {
    res.json({ message: 'Public: no token needed' });
  });

  const auth = jwksAuth(options);
  app.use(auth);

  app.get('/api/me', (req, res) => {
    res.json({ claims: req.auth?.payload });
  });

  app.get('/api/messages', requiredScopes('read:messages'), (_req, res) => {
    res.json({ messages: [{ id: 1, text: 'Counted in jwks_auth_requests_total' }] });
  });

  app.use(jwksAuthErrorHandler());

  return {
    app,
    registry,
    close() {
      stopMetrics();
      auth.verifier.close();
    },
  };
}
