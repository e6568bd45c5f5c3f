// Hono app builder shared by the Hono variants: served on Node by @hono/node-server.
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { helloBody, listenAndAnnounce } from './_common.js';

/** Builds a Hono app with `middleware` (if any) in front of GET /hello and listens. */
export function startHono(middleware, subject = () => undefined) {
  const app = new Hono();
  if (middleware) app.use(middleware);
  app.get('/hello', (c) => c.json(helloBody(subject(c))));
  listenAndAnnounce(createAdaptorServer({ fetch: app.fetch }));
  return app;
}
