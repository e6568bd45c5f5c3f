import type { Middleware } from 'koa';

/**
 * Runs `handlers` in order for `GET path` and lets every other request go on
 * down the stack: the part of a router (such as @koa/router) these apps need.
 */
export function get(path: string, ...handlers: Middleware[]): Middleware {
  return (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== path) return next();
    const run = async (i: number): Promise<void> => {
      await handlers[i]?.(ctx, () => run(i + 1));
    };
    return run(0);
  };
}
