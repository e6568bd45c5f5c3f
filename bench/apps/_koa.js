// Koa app builder shared by the Koa variants.
import { createServer } from 'node:http';
import Koa from 'koa';
import { helloBody, listenAndAnnounce } from './_common.js';

/** Builds a Koa app with `middleware` (if any) in front of GET /hello and listens. */
export function startKoa(middleware, subject = () => undefined) {
  const app = new Koa();
  app.silent = true;
  if (middleware) app.use(middleware);
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/hello') ctx.body = helloBody(subject(ctx));
  });
  listenAndAnnounce(createServer(app.callback()));
  return app;
}
