// Fastify + one crypto.verify per request: the measured cold floor (see _floor.js). Not an auth library.
import { BASELINE_SUBJECT } from './_common.js';
import { signatureValid } from './_floor.js';
import { startFastify } from './_fastify.js';

await startFastify(
  async (app) => {
    app.addHook('onRequest', (request, reply, done) => {
      if (signatureValid(request.headers.authorization)) return done();
      reply.code(401).send({ ok: false });
    });
  },
  () => BASELINE_SUBJECT,
);
