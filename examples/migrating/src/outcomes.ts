/**
 * The "what changes" tables of the migration guides, as data: for every peer,
 * what its before app and its jwks-auth after app answer to the same requests.
 * examples/migrating/test/migrating.test.ts sends those requests to both apps
 * and asserts these outcomes, and checks that each guide embeds the table
 * {@link renderOutcomes} makes from them, so the guides cannot drift from the
 * code.
 */

/** The requests every guide compares, in the order of its table. */
export const CASE_NAMES = [
  'valid token',
  'scope granted',
  'no token',
  'not Bearer',
  'expired',
  'wrong audience',
  'wrong issuer',
  'bad signature',
  'alg none',
  'not a JWT',
  'unknown kid',
  'insufficient scope',
  'identity provider down',
] as const;

export type CaseName = (typeof CASE_NAMES)[number];

/** What each request is, as the guides word it. */
export const CASE_DESCRIPTIONS: Record<CaseName, string> = {
  'valid token': '`GET /me` with a valid token',
  'scope granted': '`GET /messages` with a token that has `read:messages`',
  'no token': '`GET /me` without `Authorization`',
  'not Bearer': '`Authorization: Basic …`',
  expired: 'expired token (`exp` a minute ago)',
  'wrong audience': '`aud` of another API',
  'wrong issuer': '`iss` of another issuer',
  'bad signature': 'payload changed after signing',
  'alg none': 'unsigned token (`alg: none`)',
  'not a JWT': '`Bearer not-a-jwt`',
  'unknown kid': '`kid` not in the key set',
  'insufficient scope': '`GET /messages` without `read:messages`',
  'identity provider down': 'identity provider answering 503, no keys cached yet',
};

export type Body = { json: unknown } | { text: string } | { html: string };

/** A response reduced to what the guides compare. */
export interface Observed {
  status: number;
  /** Exact `WWW-Authenticate`, or null when absent. */
  challenge: string | null;
  /** `Retry-After`, or null when absent. */
  retryAfter: string | null;
  body: Body;
}

/**
 * An expected response. `json` and `text` bodies are exact; an `html` body is
 * exact too, except that Express's error page is reduced to its first line
 * (`Name: message`, without the stack trace) and the issuer's random port is
 * written `PORT` (see test/harness.ts).
 */
export type Outcome = Observed;

export interface PeerOutcomes {
  /** File name of the guide under docs/migrating/ and folder of the apps under src/. */
  id: string;
  before: Record<CaseName, Outcome>;
  after: Record<CaseName, Outcome>;
}

/** Opens the generated table of `id` in its guide; {@link TABLE_END} closes it. */
export const tableBegin = (id: string): string =>
  `<!-- outcomes of ${id}: generated from examples/migrating/src/outcomes-data.ts, checked by its test -->`;
export const TABLE_END = '<!-- /outcomes -->';

function bodyCell(body: Body): string {
  if ('json' in body) return `JSON \`${JSON.stringify(body.json)}\``;
  if ('text' in body) return `text \`${body.text}\``;
  return `HTML \`${body.html}\``;
}

function outcomeCell(o: Outcome): string {
  const parts = [`**${o.status}**`];
  if (o.status >= 400) {
    parts.push(
      o.challenge === null ? 'no `WWW-Authenticate`' : `\`WWW-Authenticate: ${o.challenge}\``,
    );
  }
  if (o.retryAfter !== null) parts.push(`\`Retry-After: ${o.retryAfter}\``);
  parts.push(bodyCell(o.body));
  return parts.join('<br>');
}

/** True when two outcomes are the same response (status, headers and body). */
export function sameOutcome(a: Outcome, b: Outcome): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The "What changes" table of a guide, in Markdown: one row per request, the
 * peer's answer and jwks-auth's (or "same").
 */
export function renderOutcomes(peer: PeerOutcomes, beforeName: string): string {
  const rows = CASE_NAMES.map((name) => {
    const before = peer.before[name];
    const after = peer.after[name];
    const afterCell = sameOutcome(before, after) ? 'same' : outcomeCell(after);
    return `| ${CASE_DESCRIPTIONS[name]} | ${outcomeCell(before)} | ${afterCell} |`;
  });
  return [`| request | ${beforeName} | jwks-auth |`, '| --- | --- | --- |', ...rows].join('\n');
}

/**
 * A Markdown table reduced to its cells, so a table Prettier has padded
 * compares equal to the one {@link renderOutcomes} made.
 */
export function tableCells(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim().replace(/^-+$/, '---')),
    );
}
