/**
 * Where the core runs, and its only way to `node:` modules. No module of the
 * core imports `node:*` statically: on Node, Bun and Deno the built-ins are
 * taken from `process.getBuiltinModule` (synchronous, no top-level await);
 * on Web runtimes (Cloudflare's workerd without `nodejs_compat`, a browser)
 * there is no `process`, nothing is loaded, and the core verifies with
 * WebCrypto (the jose engine) and fetches key sets with the global `fetch`.
 *
 * One entry for every runtime rather than `exports` conditions: the
 * conditions each tool uses differ (wrangler's esbuild, Deno, Bun, Vite,
 * Jest), a wrong pick fails late, and a bundler given a static `node:`
 * import fails or needs a flag, while here no tool has a choice to make.
 */
import type * as NodeCrypto from 'node:crypto';

type GetBuiltin = (id: string) => unknown;

const runtime = globalThis as {
  process?: { getBuiltinModule?: GetBuiltin };
  navigator?: { userAgent?: unknown };
};

/**
 * Cloudflare's workerd. Under `nodejs_compat` it offers `process` and part
 * of `node:crypto`, but no work survives between requests: it takes the Web
 * path either way.
 */
export const WORKERD = runtime.navigator?.userAgent === 'Cloudflare-Workers';

/** A `node:` built-in module, or undefined on the Web path. */
export function builtin<T>(id: string): T | undefined {
  if (WORKERD) return undefined;
  const proc = runtime.process;
  if (typeof proc?.getBuiltinModule !== 'function') return undefined;
  try {
    return (proc.getBuiltinModule(id) ?? undefined) as T | undefined;
  } catch {
    return undefined;
  }
}

const loaded = builtin<typeof NodeCrypto>('node:crypto');

/**
 * Whether the Node path is open: `node:crypto` (its synchronous one-shot
 * verify), `node:http`, long-lived timers. True on Node, Bun and Deno.
 */
export const NODE = loaded !== undefined && typeof loaded.createPublicKey === 'function';

/** The reason the Web path gives when something needs `node:crypto`. */
export const NEEDS_NODE = 'needs node:crypto (Node, Bun or Deno); this runtime has only WebCrypto';

/**
 * Stands in for a missing built-in: each member is a function that throws
 * when called (and `instanceof` it is false), so modules that name members
 * at load time still load on the Web path.
 */
function missing<T extends object>(id: string): T {
  return new Proxy({} as T, {
    get: () =>
      function unavailable(): never {
        throw new Error(`${id} ${NEEDS_NODE}`);
      },
  });
}

/** `node:crypto` on the Node path; on the Web path, members that throw when used. */
export const nodeCrypto: typeof NodeCrypto = NODE ? loaded! : missing('node:crypto');

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer;

/**
 * Decodes base64url: `Buffer` where there is one (fast, lenient), `atob`
 * otherwise. Callers check the alphabet and canonical form themselves.
 */
export const base64urlBytes: (value: string) => Uint8Array =
  NodeBuffer === undefined
    ? (value) => {
        const binary = atob(value.replace(/-/g, '+').replace(/_/g, '/'));
        const bytes = new Uint8Array(binary.length);
        for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
        return bytes;
      }
    : (value) => NodeBuffer.from(value, 'base64url');
