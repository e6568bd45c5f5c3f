// Express, no authentication: the baseline every Express variant is compared with.
import { createServer } from 'node:http';
import express from 'express';
import {
  expressErrorHandler,
  fetchJwksLikeTheAuthApps,
  helloBody,
  listenAndAnnounce,
} from './_common.js';

await fetchJwksLikeTheAuthApps();

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/hello', (_req, res) => {
  res.json(helloBody(undefined));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
