// A CommonJS TypeScript consumer: under module nodenext, TypeScript (>= 5.8)
// compiles these imports to require() of the ESM packages (require(esm)).
import { jwksAuth } from '@jwks-auth/express';
import type { JwksAuthOptions } from '@jwks-auth/express';
import { createVerifier } from '@jwks-auth/core';

const options: JwksAuthOptions = { issuer: 'https://id.example.com', audience: null };
export const middleware = jwksAuth(options);
export const verifier = createVerifier({ issuer: 'https://id.example.com', audience: 'api' });
