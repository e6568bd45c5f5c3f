/**
 * Runs the built `jwks-auth` command as a user does: `node packages/cli/dist/bin.js`
 * in a real subprocess, with its stdout, stderr and exit status.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(ROOT, 'packages', 'cli', 'dist', 'bin.js');

/** How long the build may take on a busy machine. */
export const BUILD_TIMEOUT = 240_000;

/** Held while one test file builds, so parallel test files never write the same dist at once. */
const LOCK = join(
  tmpdir(),
  `jwks-auth-cli-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}`,
);

async function withLock<T>(run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than a build can take was left by a killed run.
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > BUILD_TIMEOUT) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() - started > BUILD_TIMEOUT) throw new Error(`build lock ${LOCK} held too long`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await run();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Builds packages/cli (and the core and testing it references) so the
 * subprocess runs the code of this tree, not a stale dist. Incremental: a
 * second build with nothing changed takes a few seconds.
 */
export function buildCli(): Promise<void> {
  return withLock(
    () =>
      new Promise<void>((resolve, reject) => {
        execFile(
          process.execPath,
          [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/cli'],
          { cwd: ROOT, timeout: BUILD_TIMEOUT },
          (error, stdout, stderr) => {
            if (error !== null)
              reject(new Error(`tsc -b packages/cli failed:\n${stdout}${stderr}`));
            else resolve();
          },
        );
      }),
  );
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `jwks-auth ...args`, writing `stdin` (if any) to its standard input. */
export function runCli(args: readonly string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** Starts `jwks-auth ...args` and leaves it running (for the `issuer` command). */
export function startCli(args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The first line the child writes to stdout. */
export function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end !== -1) {
        child.stdout!.off('data', onData);
        resolve(text.slice(0, end));
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before printing a line`)));
  });
}

/** A port on 127.0.0.1 nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
