// Hono on Node (@hono/node-server), no authentication: the baseline every Hono variant is compared with.
import { BASELINE_SUBJECT } from './_common.js';
import { startHono } from './_hono.js';

startHono(undefined, () => BASELINE_SUBJECT);
