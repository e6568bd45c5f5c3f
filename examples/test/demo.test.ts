import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Runs the README's one-command demo as a user would (`npx --yes pnpm@10.34.9 start`
// from the repository root, which builds what it needs), then replays the
// curl commands it prints with fetch.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The build on a fresh checkout dominates; a warm start takes a few seconds. */
const START_TIMEOUT = 90_000;
const STOP_TIMEOUT = 5_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Demo {
  child: ChildProcess;
  output: () => string;
  /** Resolves once every process of the tree has ended. */
  exited: Promise<Exit>;
  /** Pid of the demo's own node process (printed in its banner). */
  pid: number;
  /** The printed commands with the status written above each. */
  commands: Array<{ status: number; curl: string }>;
}

const running = new Set<ChildProcess>();

/** The spawned process group: the child leads it (`detached`), npx, pnpm and node are in it. */
function group(child: ChildProcess): number {
  // Never 0: process.kill(-0) would signal this test's own group.
  if (child.pid === undefined) throw new Error('the demo did not start');
  return -child.pid;
}

// Even after a failure: whatever is left of a tree (the npx leader may be gone
// while node still runs) is killed.
afterAll(() => {
  for (const child of running) {
    try {
      process.kill(group(child), 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }
});

function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(what())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The environment of a user's shell rather than of this `pnpm test` run: no
 * npm_ or pnpm variables (npx would warn about pnpm's), no Jest, no
 * NODE_ENV, and PORT unset so the demo picks its documented default.
 */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(npm_|pnpm_|jest_)/i.test(name)),
  );
  delete env.NODE_ENV;
  delete env.PORT;
  return { ...env, FORCE_COLOR: '0' };
}

async function startDemo(): Promise<Demo> {
  const child = spawn('npx', ['--yes', 'pnpm@10.34.9', 'start'], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: userEnv(),
  });
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  // 'close', not 'exit': it waits for every process writing to the pipes, so
  // the whole tree has ended and all of its output is in.
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  const ready = new Promise<number>((resolve, reject) => {
    const check = (): void => {
      const pid = /Ctrl-C stops both servers \(pid (\d+)\)/.exec(output)?.[1];
      if (pid !== undefined) resolve(Number(pid));
    };
    child.stdout?.on('data', check);
    void exited.then(({ code, signal }) =>
      reject(new Error(`demo exited early (code ${code}, signal ${signal}):\n${output}`)),
    );
  });
  const pid = await withTimeout(
    ready,
    START_TIMEOUT - 5_000,
    () => `demo not ready after ${START_TIMEOUT - 5_000} ms:\n${output}`,
  );

  const lines = output.split('\n');
  const commands: Demo['commands'] = [];
  lines.forEach((line, i) => {
    const status = /^# (\d{3}):/.exec(line)?.[1];
    const next = lines[i + 1];
    if (status !== undefined && next?.startsWith('curl ')) {
      commands.push({ status: Number(status), curl: next });
    }
  });
  return { child, output: () => output, exited, pid, commands };
}

/** The output without the curl lines, whose random tokens could spell anything. */
function prose(demo: Demo): string {
  return demo
    .output()
    .split('\n')
    .filter((line) => !line.startsWith('curl '))
    .join('\n');
}

/** Turns a printed curl command into the same fetch: method, URL and headers. */
function toFetch(curl: string): { url: string; init: RequestInit } {
  const words = [...curl.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
  expect(words[0]).toBe('curl');
  let url: string | undefined;
  let method = 'GET';
  const headers = new Headers();
  for (let i = 1; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word === '-H') {
      const header = words[++i] ?? '';
      const colon = header.indexOf(':');
      headers.append(header.slice(0, colon).trim(), header.slice(colon + 1).trim());
    } else if (word === '-X') {
      method = words[++i] ?? '';
    } else if (word === '-i' || word === '-s') {
      // Output flags only.
    } else if (word.startsWith('-')) {
      throw new Error(`unexpected curl option ${word} in: ${curl}`);
    } else {
      url = word;
    }
  }
  if (url === undefined) throw new Error(`no URL in: ${curl}`);
  return { url, init: { method, headers } };
}

describe('npx --yes pnpm@10.34.9 start', () => {
  let demo: Demo;

  it(
    'prints curl commands that answer 200, 401 and 403 as labelled',
    async () => {
      demo = await startDemo();
      expect(demo.commands.map((c) => c.status)).toEqual([200, 200, 401, 403]);

      const [me, messages, noToken, noScope] = await Promise.all(
        demo.commands.map(async ({ curl }) => {
          const { url, init } = toFetch(curl);
          expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\//);
          const res = await fetch(url, init);
          return { res, body: (await res.json()) as Record<string, unknown> };
        }),
      );

      expect(me?.res.status).toBe(200);
      expect(me?.body.claims).toMatchObject({ sub: 'demo-user', scope: 'read:messages' });

      expect(messages?.res.status).toBe(200);
      expect(messages?.body.messages).toEqual(expect.any(Array));

      expect(noToken?.res.status).toBe(401);
      expect(noToken?.res.headers.get('www-authenticate')).toBe('Bearer realm="api"');

      expect(noScope?.res.status).toBe(403);
      expect(noScope?.res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      expect(noScope?.body.error).toBe('insufficient_scope');
    },
    START_TIMEOUT,
  );

  it('exits with code 0 within a few seconds of SIGINT', async () => {
    expect(demo).toBeDefined();
    process.kill(demo.pid, 'SIGINT');
    const exit = await withTimeout(
      demo.exited,
      STOP_TIMEOUT,
      () => `still running ${STOP_TIMEOUT} ms after SIGINT:\n${demo.output()}`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(demo.output()).toContain('SIGINT: stopped the API and the issuer.');
    expect(prose(demo)).not.toMatch(/ELIFECYCLE|Error/);
  });
});

describe('Ctrl-C in a terminal (SIGINT to the whole process group)', () => {
  it(
    'stops the demo cleanly and closes its port',
    async () => {
      const demo = await startDemo();
      const { url } = toFetch(demo.commands[0]?.curl ?? '');
      process.kill(group(demo.child), 'SIGINT');
      const exit = await withTimeout(
        demo.exited,
        STOP_TIMEOUT,
        () => `still running ${STOP_TIMEOUT} ms after SIGINT:\n${demo.output()}`,
      );
      // npx runs pnpm through /bin/sh, and a dash that received SIGINT itself
      // re-raises it after its child exits, so npx ends by SIGINT whatever the
      // demo's exit code; pnpm would report a failing script as ELIFECYCLE.
      expect(exit.code === 0 || exit.signal === 'SIGINT').toBe(true);
      expect(demo.output()).toContain('SIGINT: stopped the API and the issuer.');
      expect(prose(demo)).not.toMatch(/ELIFECYCLE|Error/);
      await expect(fetch(url)).rejects.toThrow();
    },
    START_TIMEOUT,
  );
});
