/** Settling user hooks (src/hooks.ts): thenables awaited, results checked, deadlines kept. */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { HookFailedError } from '@jwks-auth/core';
import { booleanResult, callHook, isThenable } from '../src/hooks.js';

const asBoolean = booleanResult('isRevoked');
const run = (fn: () => unknown, timeout = 1000) => callHook('isRevoked', fn, timeout, asBoolean);

describe('callHook', () => {
  it('answers plain booleans synchronously', () => {
    expect(run(() => true)).toBe(true);
    expect(run(() => false)).toBe(false);
  });

  it('awaits promises of other realms and custom thenables', async () => {
    await expect(run(() => runInNewContext('Promise.resolve(true)'))).resolves.toBe(true);
    const thenable = { then: (resolve: (v: boolean) => void) => resolve(true) };
    await expect(run(() => thenable)).resolves.toBe(true);
  });

  it.each([
    ['1', () => 1],
    ['"true"', () => 'true'],
    ['undefined', () => undefined],
    ['a thenable of 1', () => ({ then: (resolve: (v: number) => void) => resolve(1) })],
  ])('refuses %s as a hook failure', async (_name, fn) => {
    await expect(Promise.resolve().then(() => run(fn))).rejects.toBeInstanceOf(HookFailedError);
  });

  it('turns throws, rejections and throwing then getters into hook failures', async () => {
    expect(() =>
      run(() => {
        throw new Error('boom');
      }),
    ).toThrow(HookFailedError);
    await expect(run(() => Promise.reject(new Error('down')))).rejects.toMatchObject({
      code: 'ERR_HOOK_FAILED',
      status: 503,
      hook: 'isRevoked',
    });
    const hostile = {
      get then(): never {
        throw new Error('getter');
      },
    };
    expect(isThenable(hostile)).toBe(true);
    await expect(run(() => hostile)).rejects.toBeInstanceOf(HookFailedError);
  });

  it('fails a hook that never settles once its deadline passes', async () => {
    await expect(run(() => new Promise(() => undefined), 50)).rejects.toMatchObject({
      code: 'ERR_HOOK_FAILED',
      message: 'the isRevoked hook did not answer in time',
    });
  });
});
