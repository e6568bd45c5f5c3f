import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

/** Runs tsc on a project, listing the files it compiled. */
async function compile(
  project: string,
): Promise<{ code: number | null; files: string[]; output: string[] }> {
  const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
  const result = await new Promise<{ code: number | null; text: string }>((resolve) => {
    execFile(
      process.execPath,
      [tsc, '--noEmit', '--listFiles', '-p', project],
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

/** `name@major` of every listed `@types/<name>/index.d.ts`, read from its package.json. */
function typesMajors(files: string[], names: readonly string[]): string[] {
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

describe('type augmentations against @types/koa 2', () => {
  it('compile, and every @ts-expect-error in test/types-koa2/augmentation.ts is still an error', async () => {
    const project = fileURLToPath(new URL('./types-koa2/tsconfig.json', import.meta.url));
    const result = await compile(project);
    expect({ code: result.code, output: result.output }).toEqual({ code: 0, output: [] });
    // The adapter's sources were compiled too, against @types/koa 2 only.
    expect(result.files).toContain(fileURLToPath(new URL('../src/index.ts', import.meta.url)));
    expect(typesMajors(result.files, ['koa'])).toEqual(['@types/koa@2']);
  }, 30_000);
});
