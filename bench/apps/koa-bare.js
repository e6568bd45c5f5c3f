// Koa, no authentication: the baseline every Koa variant is compared with.
import { startKoa } from './_koa.js';

startKoa(undefined);
