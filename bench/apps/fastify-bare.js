// Fastify, no authentication: the baseline every Fastify variant is compared with.
import { startFastify } from './_fastify.js';

await startFastify(undefined);
