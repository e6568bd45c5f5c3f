/**
 * `jwks-auth check-jwks`: fetches a key set through the core's own verifier
 * (discovery included, with its rules), judges every key with the core's
 * `inspectKeySet`, and lints what a verifier refuses or an operator should
 * fix: private or symmetric keys, weak or unsupported keys, use/alg/key_ops
 * that forbid verifying, duplicate or missing kids, x5c that holds another
 * key, and caching headers.
 */
import { X509Certificate } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { createVerifier, inspectKeySet } from '@jwks-auth/core';
import type { JwksAuthEvent, KeyInspection, VerifierOptions } from '@jwks-auth/core';
import { Recorder, describe, exchangeJson } from './capture.js';
import type { Exchange } from './capture.js';
import type { Io } from './io.js';
import { keyJson, keyText, plural } from './output.js';
import {
  CHECK_JWKS_USAGE,
  EXIT_ERROR,
  EXIT_OK,
  EXIT_REFUSED,
  UsageError,
  integer,
  parseCommand,
} from './usage.js';

const MAX_RESPONSE_BYTES = 512 * 1024;
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** Below this `max-age` (s), clients that honour it refetch the set very often. */
const SHORT_MAX_AGE = 60;
/** Above this `max-age` (s), clients that honour it see a rotation late. */
const LONG_MAX_AGE = 86_400;

/** One problem found: an `error` is something the verifier refuses (exit 1), a `warning` is not. */
export interface Finding {
  severity: 'error' | 'warning';
  code: string;
  /** Index of the key in `keys`, when the finding is about one key. */
  key: number | null;
  message: string;
}

const OPTIONS = {
  timeout: { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
} as const;

type Kind = 'issuer' | 'metadata' | 'jwks';

/** Looks at what the URL serves: a key set, an issuer's metadata, or neither (then it is an issuer). */
async function probe(url: string, timeout: number): Promise<{ kind: Kind; issuer: string }> {
  const recorder = new Recorder(MAX_RESPONSE_BYTES);
  await recorder.fetch(url, { signal: AbortSignal.timeout(timeout) });
  const body = recorder.exchanges[0]?.body;
  let document: unknown;
  try {
    document = body === undefined ? undefined : JSON.parse(body);
  } catch {
    document = undefined;
  }
  const doc = (typeof document === 'object' && document !== null ? document : {}) as Record<
    string,
    unknown
  >;
  if (Array.isArray(doc.keys)) return { kind: 'jwks', issuer: url };
  if (
    typeof doc.jwks_uri === 'string' &&
    typeof doc.issuer === 'string' &&
    URL.canParse(doc.issuer)
  ) {
    return { kind: 'metadata', issuer: doc.issuer };
  }
  return { kind: 'issuer', issuer: url };
}

function keyLabel(key: KeyInspection): string {
  return `#${key.index}${key.kid === undefined ? '' : ` (kid ${JSON.stringify(key.kid)})`}`;
}

/** The code of a refusal, from the judge's reason. */
function refusalCode(reason: string): string {
  if (/below|exponent|even|too large|above/.test(reason)) return 'weak_key';
  if (/"kty"|"crv"|must be Ed25519/.test(reason)) return 'unsupported_key';
  if (/"use"|"key_ops"|"alg"/.test(reason)) return 'use_mismatch';
  return 'key_refused';
}

/** Whether the first `x5c` certificate holds the same public key as the JWK's members. */
function x5cFinding(key: KeyInspection, jwk: Record<string, unknown>): Finding | undefined {
  const chain = jwk.x5c;
  if (!Array.isArray(chain) || chain.length === 0 || !key.usable) return undefined;
  let certified: JsonWebKey;
  try {
    const certificate = new X509Certificate(Buffer.from(String(chain[0]), 'base64'));
    certified = certificate.publicKey.export({ format: 'jwk' });
  } catch {
    return {
      severity: 'warning',
      code: 'x5c_invalid',
      key: key.index,
      message: `${keyLabel(key)}: x5c[0] is not a DER certificate in base64; clients that read x5c cannot use it`,
    };
  }
  const members = jwk.kty === 'RSA' ? ['kty', 'n', 'e'] : ['kty', 'crv', 'x', 'y'];
  const same = members.every((m) => (certified as Record<string, unknown>)[m] === jwk[m]);
  if (same) return undefined;
  return {
    severity: 'warning',
    code: 'x5c_mismatch',
    key: key.index,
    message: `${keyLabel(key)}: x5c[0] certifies a different key than the JWK's members; jwks-auth uses the members, clients that read x5c will disagree`,
  };
}

function cacheFindings(exchange: Exchange | undefined): Finding[] {
  const value = exchange?.headers['cache-control'];
  const found: Finding[] = [];
  const warn = (code: string, message: string) =>
    found.push({ severity: 'warning', code, key: null, message });
  const type = exchange?.headers['content-type'];
  if (type !== undefined && !/json/i.test(type)) {
    warn('content_type', `Content-Type is ${JSON.stringify(type)}, not application/json`);
  }
  if (value === undefined) {
    warn(
      'cache_control_missing',
      'no Cache-Control header: clients and caches get no guidance (jwks-auth keeps the set for its cacheMaxAge, 10 min by default)',
    );
    return found;
  }
  if (/\b(no-store|no-cache)\b/i.test(value)) {
    warn(
      'cache_control_no_store',
      `Cache-Control ${JSON.stringify(value)} forbids caching: clients that honour it fetch the set for every token`,
    );
    return found;
  }
  const maxAge = /\bmax-age=(\d+)/i.exec(value);
  if (maxAge === null) {
    warn('cache_control_no_max_age', `Cache-Control ${JSON.stringify(value)} has no max-age`);
  } else if (Number(maxAge[1]) < SHORT_MAX_AGE) {
    warn(
      'cache_control_short',
      `Cache-Control max-age=${maxAge[1]} is short: clients that honour it refetch the set that often`,
    );
  } else if (Number(maxAge[1]) > LONG_MAX_AGE) {
    warn(
      'cache_control_long',
      `Cache-Control max-age=${maxAge[1]} is over a day: clients that honour it see a new key late`,
    );
  }
  return found;
}

/** Every finding about a fetched key set document. */
export function lintKeySet(
  document: Record<string, unknown>,
  exchange?: Exchange,
): {
  keys: KeyInspection[];
  findings: Finding[];
} {
  const keys = inspectKeySet(document);
  const listed = document.keys as unknown[];
  const findings: Finding[] = [];
  const add = (severity: Finding['severity'], code: string, key: KeyInspection, text: string) =>
    findings.push({ severity, code, key: key.index, message: `${keyLabel(key)}: ${text}` });
  for (const key of keys) {
    const jwk = (
      typeof listed[key.index] === 'object' && listed[key.index] !== null ? listed[key.index] : {}
    ) as Record<string, unknown>;
    const secrets = PRIVATE_MEMBERS.filter((m) => jwk[m] !== undefined);
    if (jwk.kty === 'oct') {
      add(
        'error',
        'symmetric_key',
        key,
        'a symmetric key (kty "oct") published with its secret "k"; never usable to verify, and the secret must be rotated',
      );
    } else if (secrets.length > 0) {
      add(
        'error',
        'private_member',
        key,
        `publishes private member${secrets.length > 1 ? 's' : ''} ${secrets.join(', ')}: the private key is exposed; remove it and rotate the key`,
      );
    } else if (key.refused !== undefined) {
      add('error', refusalCode(key.refused), key, `refused by the verifier: ${key.refused}`);
    }
    if (key.duplicateOf !== undefined) {
      add(
        'warning',
        'duplicate_key',
        key,
        `repeats key #${key.duplicateOf} exactly (the verifier keeps one)`,
      );
    }
    if (jwk.use !== undefined && jwk.key_ops !== undefined) {
      add(
        'warning',
        'use_and_key_ops',
        key,
        'has both "use" and "key_ops" (RFC 7517 §4.3: should not be used together)',
      );
    }
    if (key.usable && key.kid === undefined) {
      add(
        'warning',
        'missing_kid',
        key,
        'has no kid: a token is then tried against every key of its algorithm (at most 4)',
      );
    }
    const x5c = x5cFinding(key, jwk);
    if (x5c !== undefined) findings.push(x5c);
  }
  const byKid = new Map<string, KeyInspection[]>();
  for (const key of keys) {
    if (key.kid === undefined || key.duplicateOf !== undefined) continue;
    byKid.set(key.kid, [...(byKid.get(key.kid) ?? []), key]);
  }
  for (const [kid, same] of byKid) {
    if (same.length < 2) continue;
    findings.push({
      severity: 'warning',
      code: 'duplicate_kid',
      key: null,
      message: `kid ${JSON.stringify(kid)} is listed by keys ${same.map((k) => `#${k.index}`).join(', ')}: a token naming it is tried against each`,
    });
  }
  if (!keys.some((k) => k.usable)) {
    findings.push({
      severity: 'error',
      code: 'no_usable_key',
      key: null,
      message: 'no key of the set is usable: every token is refused (401 ERR_KEY_NOT_FOUND)',
    });
  }
  findings.push(...cacheFindings(exchange));
  return { keys, findings };
}

/** Runs `jwks-auth check-jwks`; resolves the exit status. */
export async function checkJwks(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS, CHECK_JWKS_USAGE);
  if (values.help === true) {
    io.stdout.write(CHECK_JWKS_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    throw new UsageError(
      'check-jwks takes one URL: an issuer, its metadata or its key set',
      CHECK_JWKS_USAGE,
    );
  }
  const input = positionals[0]!;
  const timeout = integer('timeout', values.timeout, CHECK_JWKS_USAGE) ?? 5000;
  const allowInsecureHttp = values['allow-insecure-http'] === true;
  const events: JwksAuthEvent[] = [];
  const recorder = new Recorder(MAX_RESPONSE_BYTES);
  const options = (issuer: string, jwksUri?: string): VerifierOptions => ({
    issuer,
    ...(jwksUri === undefined ? {} : { jwksUri }),
    audience: null,
    cache: false,
    allowInsecureHttp,
    onEvent: (event) => {
      events.push(event);
    },
    jwks: { fetch: recorder.fetch, timeoutDuration: timeout },
  });
  // The URL is checked by the verifier's own option rules before anything is fetched.
  try {
    createVerifier(options(input)).close();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UsageError(
      `${JSON.stringify(input)} ${error.message.replace(/^"[^"]+" option /, '').replace('"allowInsecureHttp: true"', '--allow-insecure-http')}`,
      CHECK_JWKS_USAGE,
    );
  }
  let found: { kind: Kind; issuer: string };
  try {
    found = await probe(input, timeout);
  } catch (error) {
    io.stderr.write(`jwks-auth: GET ${input}: ${describe(error)}\n`);
    return EXIT_ERROR;
  }
  let verifier;
  try {
    verifier = createVerifier(options(found.issuer, found.kind === 'jwks' ? input : undefined));
  } catch (error) {
    // Metadata naming an issuer the verifier refuses (not a URL, or http: elsewhere than loopback).
    io.stderr.write(
      `jwks-auth: ${input} names issuer ${JSON.stringify(found.issuer)}: ${(error as Error).message}\n`,
    );
    return EXIT_REFUSED;
  }
  let failure: Error | undefined;
  await verifier.warmup().catch((error: unknown) => {
    failure = error as Error;
  });
  verifier.close();

  const fetched = events.findLast((e) => e.type === 'jwks_fetch');
  const failed = events.findLast((e) => e.type === 'jwks_fetch_failed');
  const exchange = fetched === undefined ? undefined : recorder.last(fetched.uri);
  let keys: KeyInspection[] = [];
  let findings: Finding[] = [];
  let exitCode: number;
  let problem: string | undefined;
  if (failure === undefined && exchange?.body !== undefined) {
    ({ keys, findings } = lintKeySet(
      JSON.parse(exchange.body) as Record<string, unknown>,
      exchange,
    ));
    exitCode = findings.some((f) => f.severity === 'error') ? EXIT_REFUSED : EXIT_OK;
  } else {
    // A document that was answered (200) and refused is the verifier's refusal;
    // anything else (no answer, an error status) is an outage.
    const last = recorder.exchanges.at(-1);
    const answered = last?.status === 200;
    problem = failed?.error.message ?? failure?.message ?? 'the key set could not be fetched';
    if (!answered && last !== undefined) {
      problem = `GET ${last.url}: ${last.error ?? `status ${last.status ?? 'none'}`}`;
    }
    if (answered) {
      findings = [{ severity: 'error', code: 'document_refused', key: null, message: problem }];
    }
    exitCode = answered ? EXIT_REFUSED : EXIT_ERROR;
  }
  const report = {
    input,
    kind: found.kind,
    issuer: found.kind === 'jwks' ? null : found.issuer,
    jwksUri: fetched?.uri ?? events.findLast((e) => e.type === 'discovery')?.jwksUri ?? null,
    exchanges: recorder.exchanges.map(exchangeJson),
    keys: keys.map(keyJson),
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
    error: exitCode === EXIT_ERROR ? (problem ?? null) : null,
    exitCode,
  };
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCode;
  }
  const out: string[] = [];
  out.push(report.issuer === null ? `key set ${input}` : `issuer ${report.issuer}`);
  for (const e of recorder.exchanges) {
    const cache = e.headers['cache-control'];
    const extra =
      e.status === 200 && e.url === report.jwksUri
        ? `, ${cache === undefined ? 'no Cache-Control' : `Cache-Control: ${cache}`}`
        : '';
    out.push(`  GET ${e.url}  ${e.error ?? String(e.status)}${extra}`);
  }
  if (exitCode === EXIT_ERROR) {
    io.stdout.write(`${out.join('\n')}\n`);
    io.stderr.write(`jwks-auth: the key set could not be fetched: ${problem ?? ''}\n`);
    return exitCode;
  }
  if (report.keys.length > 0 || problem === undefined) {
    out.push(`keys ${keys.length} listed, ${keys.filter((k) => k.usable).length} usable`);
    for (const key of keys) {
      const state = key.usable ? 'usable ' : key.duplicateOf !== undefined ? 'repeat ' : 'refused';
      out.push(`  #${key.index} ${state}  ${keyText(key)}`);
    }
  }
  out.push(findings.length === 0 ? 'findings none' : 'findings');
  for (const f of findings) out.push(`  ${f.severity.padEnd(7)}  ${f.code}  ${f.message}`);
  out.push(
    `result ${plural(report.errors, 'error')}, ${plural(report.warnings, 'warning')}: ${
      exitCode === EXIT_OK
        ? 'the verifier uses this key set as it is'
        : 'the verifier refuses part of this key set'
    }`,
  );
  io.stdout.write(`${out.join('\n')}\n`);
  return exitCode;
}
