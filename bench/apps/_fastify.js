// Fastify app builder shared by the Fastify variants.
import Fastify from 'fastify';
import { announce, config, helloBody } from './_common.js';

/**
 * Builds a Fastify app, lets `setup` register the auth plugin/hooks, adds
 * GET /hello and listens. `subject(request)` reads the authenticated subject.
 */
export async function startFastify(setup, subject = () => undefined) {
  const app = Fastify({ logger: false });
  if (setup) await setup(app);
  app.get('/hello', async (request) => helloBody(subject(request)));
  await app.listen({ port: config.port, host: config.host, backlog: config.backlog });
  announce(app.server.address().port);
  return app;
}
