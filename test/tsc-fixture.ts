/**
 * Compile-time fixtures: runs tsc on a fixture project (a tsconfig.json whose
 * `files` are the fixture) and reports what the adapters' type tests check: the
 * exit code and messages (each `@ts-expect-error` must still be an error, so a
 * clean run means every expected error is there), the files tsc loaded, and the
 * major of each `@types` package it loaded.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from '@jest/globals';

export interface Compiled {
  /** tsc's exit code. */
  code: number | null;
  /** Every line tsc printed that is not a listed file: its diagnostics. */
  output: string[];
  /** Absolute paths of the TypeScript files tsc compiled (`--listFiles`). */
  files: string[];
}

const TSC = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));

/** Runs `tsc --noEmit --listFiles -p <project>`. */
export async function compileFixture(project: URL): Promise<Compiled> {
  const result = await new Promise<{ code: number | null; text: string }>((resolve) => {
    execFile(
      process.execPath,
      [TSC, '--noEmit', '--listFiles', '-p', fileURLToPath(project)],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        resolve({
          code: error ? (typeof error.code === 'number' ? error.code : 1) : 0,
          text: stdout + stderr,
        });
      },
    );
  });
  const lines = result.text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const files = lines.filter((line) => isAbsolute(line) && /\.[cm]?tsx?$/.test(line));
  return { code: result.code, files, output: lines.filter((line) => !files.includes(line)) };
}

/** `@types/<name>@<major>` of every listed `@types/<name>/index.d.ts` among `names`, sorted. */
export function typesMajors(files: readonly string[], names: readonly string[]): string[] {
  const found = new Set<string>();
  for (const file of files) {
    const match = /[\\/]@types[\\/]([^\\/]+)[\\/]index\.d\.ts$/.exec(file);
    if (!match || !names.includes(match[1]!)) continue;
    const { version } = JSON.parse(readFileSync(join(dirname(file), 'package.json'), 'utf8')) as {
      version: string;
    };
    found.add(`@types/${match[1]}@${version.split('.')[0]}`);
  }
  return [...found].sort();
}

/**
 * Expects `project` to compile cleanly, `source` (the adapter) to be among the
 * compiled files, and exactly `types` (`@types/<name>@<major>`, sorted) to be
 * the majors loaded of the `@types` packages they name.
 */
export async function expectFixtureCompiles(
  project: URL,
  expected: { source: URL; types: readonly string[] },
): Promise<void> {
  const result = await compileFixture(project);
  expect({ code: result.code, output: result.output }).toEqual({ code: 0, output: [] });
  expect(result.files).toContain(fileURLToPath(expected.source));
  const names = expected.types.map((t) => t.replace(/^@types\/|@\d+$/g, ''));
  expect(typesMajors(result.files, names)).toEqual(expected.types);
}
