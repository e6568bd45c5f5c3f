// Express + one crypto.verify per request: the measured cold floor (see _floor.js). Not an auth library.
import { createServer } from 'node:http';
import express from 'express';
import { BASELINE_SUBJECT, expressErrorHandler, helloBody, listenAndAnnounce } from './_common.js';
import { signatureValid } from './_floor.js';

const app = express();
app.disable('x-powered-by');
app.disable('etag');
app.use((req, res, next) => {
  if (signatureValid(req.headers.authorization)) return next();
  res.status(401).json({ ok: false });
});
app.get('/hello', (_req, res) => {
  res.json(helloBody(BASELINE_SUBJECT));
});
app.use(expressErrorHandler);
listenAndAnnounce(createServer(app));
