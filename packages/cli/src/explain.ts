/**
 * `jwks-auth explain`: verifies one token with the core's `createVerifier`
 * (the middleware's code and options), then reports what the verifier
 * fetched, which key verifies the signature (the core's `inspectKeyChoice`)
 * and the response an API sends for the verdict.
 */
import { createVerifier, inspectKeyChoice, isJwksAuthError } from '@jwks-auth/core';
import type {
  Algorithm,
  JwksAuthError,
  JwksAuthEvent,
  KeyChoice,
  VerifierOptions,
  VerifyResult,
} from '@jwks-auth/core';
import { errorResponse } from '@jwks-auth/core/adapter';
import { Recorder, exchangeJson } from './capture.js';
import type { Exchange, ExchangeJson } from './capture.js';
import type { Io } from './io.js';
import { readAll } from './io.js';
import { httpText, indentJson, keyJson, keyText, plural } from './output.js';
import type { HttpResponse } from './output.js';
import {
  EXIT_ERROR,
  EXIT_OK,
  EXIT_REFUSED,
  EXPLAIN_USAGE,
  UsageError,
  integer,
  list,
  number,
  parseCommand,
} from './usage.js';

/** The verifier's default `jwks.maxResponseBytes`: bodies are recorded up to this. */
const MAX_RESPONSE_BYTES = 512 * 1024;

/** Flags named in the verifier's option errors. */
const FLAGS: Record<string, string> = {
  issuer: '--issuer',
  audience: '--audience',
  jwksUri: '--jwks-uri',
  algorithms: '--algorithms',
  typ: '--typ',
  requiredClaims: '--required-claims',
  clockTolerance: '--clock-tolerance',
  maxTokenAge: '--max-token-age',
  realm: '--realm',
  'jwks.timeoutDuration': '--timeout',
};

const OPTIONS = {
  issuer: { type: 'string', multiple: true },
  audience: { type: 'string', multiple: true },
  'jwks-uri': { type: 'string' },
  algorithms: { type: 'string' },
  typ: { type: 'string' },
  strict: { type: 'boolean' },
  'required-claims': { type: 'string' },
  'clock-tolerance': { type: 'string' },
  'max-token-age': { type: 'string' },
  realm: { type: 'string' },
  timeout: { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
} as const;

/** A base64url JSON segment of the token, or undefined when it is not one. */
function decodePart(token: string, at: number): Record<string, unknown> | undefined {
  const segment = token.split('.')[at];
  if (segment === undefined || !/^[A-Za-z0-9_-]+$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isoTime(seconds: unknown): string | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return undefined;
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString().replace('.000Z', 'Z');
}

/** The verifier's options from the command line. */
function verifierOptions(
  values: ReturnType<typeof parse>['values'],
  recorder: Recorder,
  events: JwksAuthEvent[],
): VerifierOptions {
  const issuers = values.issuer ?? [];
  const audiences = values.audience ?? [];
  if (issuers.length === 0) throw new UsageError('explain needs --issuer <url>', EXPLAIN_USAGE);
  if (audiences.length === 0) {
    throw new UsageError('explain needs --audience <aud> ("*" skips the check)', EXPLAIN_USAGE);
  }
  const options: VerifierOptions = {
    issuer: issuers.length === 1 ? issuers[0]! : issuers,
    audience: audiences.includes('*') ? null : audiences.length === 1 ? audiences[0]! : audiences,
    cache: false,
    onEvent: (event) => {
      events.push(event);
    },
    jwks: {
      fetch: recorder.fetch,
      timeoutDuration: integer('timeout', values.timeout, EXPLAIN_USAGE) ?? 5000,
    },
  };
  if (values['jwks-uri'] !== undefined) options.jwksUri = values['jwks-uri'];
  const algorithms = list(values.algorithms);
  if (algorithms !== undefined) options.algorithms = algorithms as Algorithm[];
  if (values.typ !== undefined) options.typ = values.typ;
  if (values.strict === true) options.strict = true;
  const required = list(values['required-claims']);
  if (required !== undefined) options.requiredClaims = required;
  const tolerance = number('clock-tolerance', values['clock-tolerance'], EXPLAIN_USAGE);
  if (tolerance !== undefined) options.clockTolerance = tolerance;
  const maxAge = number('max-token-age', values['max-token-age'], EXPLAIN_USAGE);
  if (maxAge !== undefined) options.maxTokenAge = maxAge;
  if (values.realm !== undefined) options.realm = values.realm;
  if (values['allow-insecure-http'] === true) options.allowInsecureHttp = true;
  return options;
}

function parse(args: string[]) {
  return parseCommand(args, OPTIONS, EXPLAIN_USAGE);
}

/** What explain found, as the JSON report prints it. */
interface Report {
  verdict: 'accepted' | 'refused' | 'unavailable';
  exitCode: number;
  code: string | null;
  message: string | null;
  header: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
  keySet: {
    issuer: string;
    jwksUri: string | null;
    keys: number | null;
    refused: number | null;
    error: string | null;
    exchanges: ExchangeJson[];
  };
  key: {
    chosen: ReturnType<typeof keyJson> | null;
    reason: string | null;
    candidates: Array<ReturnType<typeof keyJson>>;
  } | null;
  response: HttpResponse | null;
}

/** Runs `jwks-auth explain`; resolves the exit status. */
export async function explain(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  if (values.help === true) {
    io.stdout.write(EXPLAIN_USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    throw new UsageError('explain takes one token, or "-" to read it from stdin', EXPLAIN_USAGE);
  }
  const recorder = new Recorder(MAX_RESPONSE_BYTES);
  const events: JwksAuthEvent[] = [];
  const options = verifierOptions(values, recorder, events);
  let verifier;
  try {
    verifier = createVerifier(options);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    const message = error.message.replace(
      /^"([^"]+)" option/,
      (all, name: string) => FLAGS[name] ?? all,
    );
    throw new UsageError(message, EXPLAIN_USAGE);
  }
  const raw = positionals[0] === '-' ? await readAll(io.stdin) : positionals[0]!;
  // A pasted header value works too.
  const token = raw.trim().replace(/^(?:Bearer|DPoP)\s+/i, '');
  if (token.length === 0) throw new UsageError('the token is empty', EXPLAIN_USAGE);

  let result: VerifyResult | undefined;
  let failure: JwksAuthError | undefined;
  try {
    result = await verifier.verify(token);
  } catch (error) {
    if (!isJwksAuthError(error)) throw error;
    failure = error;
  }
  const consulted = events.some((e) => e.type === 'jwks_fetch' || e.type === 'jwks_fetch_failed');
  // The token was refused before its key set was needed: fetch it anyway,
  // through the same verifier, so the report can say which key would fit.
  if (!consulted && failure?.status !== 503) await verifier.warmup().catch(() => undefined);
  verifier.close();

  const header = decodePart(token, 0) ?? null;
  const claims = decodePart(token, 1) ?? null;
  const configured = verifier.options.issuers;
  const issuer = configured.find((i) => i.issuer === claims?.iss)?.issuer ?? configured[0]!.issuer;
  const of = <T extends JwksAuthEvent['type']>(type: T) =>
    events.findLast((e) => e.type === type && 'issuer' in e && e.issuer === issuer) as
      Extract<JwksAuthEvent, { type: T }> | undefined;
  const fetched = of('jwks_fetch');
  const failed = of('jwks_fetch_failed');
  const discovered = of('discovery');
  const jwksUri =
    fetched?.uri ?? discovered?.jwksUri ?? configured.find((i) => i.issuer === issuer)?.jwksUri;
  const body = fetched === undefined ? undefined : recorder.last(fetched.uri)?.body;

  let choice: KeyChoice | undefined;
  let notChosen: string | undefined;
  if (body === undefined) notChosen = 'not looked up: the key set could not be fetched';
  else if (header === null) notChosen = 'not looked up: the token is not a JWS';
  else {
    try {
      choice = inspectKeyChoice(JSON.parse(body), token);
    } catch (error) {
      notChosen = `not looked up: ${(error as Error).message}`;
    }
  }

  const response: HttpResponse | null =
    failure === undefined ? null : (errorResponse(failure) as HttpResponse);
  const verdict =
    failure === undefined ? 'accepted' : failure.status === 503 ? 'unavailable' : 'refused';
  const exitCode =
    verdict === 'accepted' ? EXIT_OK : verdict === 'refused' ? EXIT_REFUSED : EXIT_ERROR;
  // A failure every request shared (no answer at all) is said by the exchanges themselves.
  const networkOnly =
    recorder.exchanges.length > 0 && recorder.exchanges.every((e) => e.error !== undefined);
  const report: Report = {
    verdict,
    exitCode,
    code: failure?.code ?? null,
    message: failure?.message ?? null,
    header,
    claims,
    keySet: {
      issuer,
      jwksUri: jwksUri ?? null,
      keys: fetched?.keys ?? null,
      refused: fetched?.refused ?? null,
      error:
        failed === undefined || fetched !== undefined || networkOnly ? null : failed.error.message,
      exchanges: recorder.exchanges.map(exchangeJson),
    },
    key:
      choice === undefined
        ? null
        : {
            chosen: choice.chosen === undefined ? null : keyJson(choice.chosen),
            reason: choice.reason ?? null,
            candidates: choice.candidates.map(keyJson),
          },
    response,
  };
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return exitCode;
  }
  io.stdout.write(textReport(report, choice, notChosen, recorder.exchanges, result));
  return exitCode;
}

function exchangeText(e: Exchange, report: Report): string {
  let outcome = e.error ?? String(e.status);
  if (e.status === 200 && e.url === report.keySet.jwksUri && report.keySet.keys !== null) {
    outcome += `, ${plural(report.keySet.keys, 'usable key')}, ${report.keySet.refused ?? 0} refused`;
    const cache = e.headers['cache-control'];
    outcome += cache === undefined ? ', no Cache-Control' : `, Cache-Control: ${cache}`;
  }
  return `  GET ${e.url}  ${outcome}`;
}

function textReport(
  report: Report,
  choice: KeyChoice | undefined,
  notChosen: string | undefined,
  exchanges: readonly Exchange[],
  result: VerifyResult | undefined,
): string {
  const out: string[] = ['Header'];
  out.push(report.header === null ? '  (not a base64url JSON object)' : indentJson(report.header));
  out.push('Claims');
  if (report.claims === null) out.push('  (not a base64url JSON object)');
  else {
    out.push(indentJson(report.claims));
    for (const name of ['iat', 'nbf', 'exp']) {
      const time = isoTime(report.claims[name]);
      if (time !== undefined) out.push(`  ${name} ${time}`);
    }
  }
  out.push('Key set', `  issuer ${report.keySet.issuer}`);
  for (const e of exchanges) out.push(exchangeText(e, report));
  if (exchanges.length === 0) out.push('  not fetched');
  if (report.keySet.error !== null) out.push(`  error: ${report.keySet.error}`);
  out.push('Key');
  if (choice?.chosen !== undefined) out.push(`  chosen: ${keyText(choice.chosen)}`);
  else if (choice !== undefined) out.push(`  none fitted: ${choice.reason ?? ''}`);
  else out.push(`  ${notChosen ?? ''}`);
  out.push('Verdict');
  if (result !== undefined) {
    out.push('  accepted', `  the request reaches the route's handler (${result.scheme})`);
  } else {
    const lead = report.verdict === 'unavailable' ? 'not judged' : 'refused';
    out.push(`  ${lead}: ${report.code ?? ''} (${report.message ?? ''})`);
    out.push(httpText(report.response!));
  }
  return `${out.join('\n')}\n`;
}
