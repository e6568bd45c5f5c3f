/**
 * The runtime smoke suites' harness: packs @jwks-auth/core and
 * @jwks-auth/hono as a user installs them (`pnpm pack`), lays them out in a
 * temp app next to their dependencies (jose, hono) from this checkout, and
 * starts an app on a real runtime (Bun, Deno, workerd through Miniflare) as
 * a child process that prints `LISTENING <url>` once it serves.
 */
import { spawn, execFile } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import {
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const run = promisify(execFile);

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'node_modules', '.bin');
const PNPM = ['--yes', 'pnpm@10.34.9'];

/** A temp app with the packed packages installed; `dir` has package.json, node_modules and app.mjs. */
export interface PackedApp {
  dir: string;
  remove(): Promise<void>;
}

/** Builds and packs core and hono, then installs the tarballs (and their dependencies) into a temp app. */
export async function packedApp(): Promise<PackedApp> {
  const dir = await mkdtemp(join(tmpdir(), 'jwks-auth-runtimes-'));
  const tarballs = join(dir, 'tarballs');
  await mkdir(tarballs);
  await run('npx', ['tsc', '-b', 'packages/core', 'packages/hono'], { cwd: ROOT });
  for (const name of ['core', 'hono']) {
    const pack = () =>
      run('npx', [...PNPM, 'pack', '--pack-destination', tarballs], {
        cwd: join(ROOT, 'packages', name),
      });
    // npx may race another pnpm download on a shared cache: one retry, then the error with its output.
    await pack().catch(() =>
      pack().catch((error: { stderr?: string; stdout?: string }) => {
        throw new Error(`pnpm pack in packages/${name} failed:\n${error.stdout}\n${error.stderr}`);
      }),
    );
  }
  const modules = join(dir, 'node_modules');
  for (const file of await readdir(tarballs)) {
    const name = /^jwks-auth-(\w+)-/.exec(file)?.[1];
    if (name === undefined) continue;
    const target = join(modules, '@jwks-auth', name);
    await mkdir(target, { recursive: true });
    await run('tar', ['-xzf', join(tarballs, file), '-C', target, '--strip-components=1']);
  }
  // Their registry dependencies, as this checkout resolved them.
  await symlink(
    await realpath(join(ROOT, 'packages', 'core', 'node_modules', 'jose')),
    join(modules, 'jose'),
  );
  await symlink(await realpath(join(ROOT, 'node_modules', 'hono')), join(modules, 'hono'));
  await writeFile(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'runtime-smoke', private: true, type: 'module' }),
  );
  await copyFile(join(ROOT, 'test', 'runtimes', 'fixtures', 'app.mjs'), join(dir, 'app.mjs'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A runtime serving the app: its base URL, and how to stop it. */
export interface Served {
  url: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `command` and waits (at most `timeoutMs`) for the line
 * `LISTENING <url>` on its stdout.
 */
export function serve(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<Served> {
  const child: ChildProcess = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: node_modules/.bin/{bun,deno} are shell
    // wrappers, and signalling only the wrapper would leave the runtime running.
    detached: true,
  });
  let out = '';
  const output = () => out;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // The group is gone already.
    }
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      const finish = () => {
        signal('SIGKILL'); // anything the wrapper left behind
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      child.once('exit', finish);
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 3000).unref();
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${command} did not start in time:\n${out}`));
    }, options.timeoutMs ?? 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const url = /LISTENING (\S+)/.exec(out)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ url: url.replace(/\/$/, ''), output, stop });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => void (out += chunk.toString()));
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}:\n${out}`));
    });
  });
}

/** Writes the runtime's entry module, which serves `makeApp(config)`; returns its path. */
export async function writeEntry(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, body);
  return path;
}
