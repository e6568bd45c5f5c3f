// Fastify, no authentication: the baseline every Fastify variant is compared with.
import { fetchJwksLikeTheAuthApps } from './_common.js';
import { startFastify } from './_fastify.js';

await fetchJwksLikeTheAuthApps();

await startFastify(undefined);
