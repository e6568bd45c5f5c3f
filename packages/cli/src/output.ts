/** Text helpers the commands share: indented JSON, the HTTP response an API sends, key summaries. */
import { STATUS_CODES } from 'node:http';
import type { KeyInspection } from '@jwks-auth/core';

/** Pretty JSON, every line indented by `pad` spaces. */
export function indentJson(value: unknown, pad = 2): string {
  const space = ' '.repeat(pad);
  return JSON.stringify(value, null, 2)
    .split('\n')
    .map((line) => space + line)
    .join('\n');
}

/** The response an API sends, as an HTTP/1.1 status line, headers and JSON body. */
export interface HttpResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: unknown;
}

/** `response` as it goes over the wire, each line indented by two spaces. */
export function httpText(response: HttpResponse): string {
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`.trimEnd()];
  for (const [name, value] of Object.entries(response.headers)) lines.push(`${name}: ${value}`);
  lines.push('Content-Type: application/json', '', JSON.stringify(response.body));
  return lines.map((line) => (line === '' ? '' : `  ${line}`)).join('\n');
}

/** `kid "a", kty RSA, alg RS256, thumbprint ...` */
export function keyText(key: KeyInspection): string {
  const parts = [
    key.kid === undefined ? 'no kid' : `kid ${JSON.stringify(key.kid)}`,
    `kty ${key.kty ?? '(none)'}`,
    `alg ${key.alg ?? (key.usable ? `(none; verifies ${key.algorithms.join(', ')})` : '(none)')}`,
  ];
  if (key.thumbprint !== undefined) parts.push(`thumbprint ${key.thumbprint}`);
  return parts.join(', ');
}

/** `1 key`, `2 keys`. */
export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** What a JSON report says of a key. */
export function keyJson(key: KeyInspection) {
  return {
    index: key.index,
    kid: key.kid ?? null,
    kty: key.kty ?? null,
    alg: key.alg ?? null,
    thumbprint: key.thumbprint ?? null,
    usable: key.usable,
    algorithms: key.algorithms,
    refused: key.refused ?? null,
    duplicateOf: key.duplicateOf ?? null,
  };
}
