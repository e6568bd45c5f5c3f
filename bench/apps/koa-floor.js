// Koa + one crypto.verify per request: the measured cold floor (see _floor.js). Not an auth library.
import { BASELINE_SUBJECT } from './_common.js';
import { signatureValid } from './_floor.js';
import { startKoa } from './_koa.js';

startKoa(
  (ctx, next) => {
    if (signatureValid(ctx.headers.authorization)) return next();
    ctx.status = 401;
    ctx.body = { ok: false };
  },
  () => BASELINE_SUBJECT,
);
