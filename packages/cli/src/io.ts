/** Where a command reads and writes: the process's streams from `bin.ts`, anything alike in tests. */
export interface Io {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  stdin: AsyncIterable<Buffer | string>;
}

/** Longest input read from stdin (a token is at most a few KiB). */
const MAX_STDIN_BYTES = 1024 * 1024;

/** Everything on `stream` as text, refusing more than {@link MAX_STDIN_BYTES}. */
export async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += bytes.length;
    if (size > MAX_STDIN_BYTES) throw new Error('stdin is larger than 1 MiB');
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
