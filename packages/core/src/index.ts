export * from './common.js';
export { requiredScopes, claimEquals, claimIncludes, claimCheck } from './authorize.js';
