// Express, no authentication: the baseline every Express variant is compared with.
import { createServer } from 'node:http';
import express from 'express';
import { BASELINE_SUBJECT, expressErrorHandler, helloBody, listenAndAnnounce } from './_common.js';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.get('/hello', (_req, res) => {
  res.json(helloBody(BASELINE_SUBJECT));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
