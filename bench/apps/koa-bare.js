// Koa, no authentication: the baseline every Koa variant is compared with.
import { fetchJwksLikeTheAuthApps } from './_common.js';
import { startKoa } from './_koa.js';

await fetchJwksLikeTheAuthApps();

startKoa(undefined);
