// Worker thread: mints a slice of tokens (see tokens.js) and posts them back.
import { parentPort, workerData } from 'node:worker_threads';
import { mintTokens } from './tokens.js';

parentPort.postMessage(mintTokens(workerData));
