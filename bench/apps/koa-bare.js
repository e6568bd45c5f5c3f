// Koa, no authentication: the baseline every Koa variant is compared with.
import { BASELINE_SUBJECT } from './_common.js';
import { startKoa } from './_koa.js';

startKoa(undefined, () => BASELINE_SUBJECT);
