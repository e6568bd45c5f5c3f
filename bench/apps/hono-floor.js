// Hono + one crypto.verify per request: the measured cold floor (see _floor.js). Not an auth library.
import { BASELINE_SUBJECT } from './_common.js';
import { signatureValid } from './_floor.js';
import { startHono } from './_hono.js';

startHono(
  (c, next) =>
    signatureValid(c.req.header('authorization')) ? next() : c.json({ ok: false }, 401),
  () => BASELINE_SUBJECT,
);
