import { describe, expect, it } from '@jest/globals';
import * as jose from 'jose';
describe('esm', () => { it('loads jose', () => { expect(typeof jose.jwtVerify).toBe('function'); }); });
