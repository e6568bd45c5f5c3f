export * from './common.js';
export {
  requiredScopes,
  requiredAuthentication,
  claimEquals,
  claimIncludes,
  claimCheck,
} from './authorize.js';
export { inspectKeySet, inspectKeyChoice } from './inspect.js';
export type { KeyInspection, KeyChoice } from './inspect.js';
