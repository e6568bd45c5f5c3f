// Fastify, no authentication: the baseline every Fastify variant is compared with.
import { BASELINE_SUBJECT } from './_common.js';
import { startFastify } from './_fastify.js';

await startFastify(undefined, () => BASELINE_SUBJECT);
