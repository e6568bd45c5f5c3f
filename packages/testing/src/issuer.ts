import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { JWK } from 'jose';
import { RequestCounter } from './counters.js';
import { assertFaultMode, faultAnswer, faultApplies, faultReply } from './faults.js';
import type { FaultableKind } from './faults.js';
import { HOST, json, listen, respond, send, stopListening } from './http.js';
import type { Answer, Reply } from './http.js';
import { generateTestKey, isTestAlg, makeKid } from './keys.js';
import type { HeldKey } from './keys.js';
import { issuerPaths, metadataDocument, normalizeIssuerPath } from './metadata.js';
import type { IssuerPaths } from './metadata.js';
import { buildClaims, signCompact } from './sign.js';
import { TokenEndpoint } from './token-endpoint.js';
import type {
  AddKeyOptions,
  FailOptions,
  FaultMode,
  FaultTarget,
  RequestCounts,
  RequestKind,
  RotateOptions,
  SignOptions,
  TestAlg,
  TestIssuer,
  TestIssuerOptions,
  TestKey,
} from './types.js';

/** RSA modulus length used when neither the issuer nor `addKey` specifies one. */
export const DEFAULT_RSA_MODULUS_LENGTH = 2048;

/** Protected header `typ` used when `sign` is not given one (RFC 9068 access tokens). */
export const DEFAULT_TYP = 'at+jwt';

const DISCOVERY_MODES = ['oidc', 'oauth', 'both', 'none'] as const;

type RequestTarget = FaultableKind | 'other';

interface HungRequest {
  answer: Answer;
  res: ServerResponse;
}

/**
 * A test and demo tool, never a production issuer: starts a real OAuth 2.0 /
 * OIDC issuer on 127.0.0.1 (OS-chosen port) serving discovery and a JWKS,
 * with one freshly generated, in-memory signing key per algorithm. It signs
 * any claims it is asked to and has fault modes that break it on purpose.
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const algorithms = [...new Set(options.algorithms ?? (['RS256'] as TestAlg[]))];
  for (const alg of algorithms) {
    if (!isTestAlg(alg)) throw new TypeError(`Unsupported algorithm: ${String(alg)}`);
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Unsupported port: ${String(options.port)}`);
  }
  const discovery = options.discovery ?? 'both';
  if (!DISCOVERY_MODES.includes(discovery)) {
    throw new TypeError(`Unsupported discovery mode: ${String(discovery)}`);
  }
  const issuer = new LocalTestIssuer(options, algorithms, discovery);
  await issuer.start();
  return issuer;
}

class LocalTestIssuer implements TestIssuer {
  readonly #server: Server;
  readonly #options: TestIssuerOptions;
  readonly #algorithms: readonly TestAlg[];
  readonly #discovery: (typeof DISCOVERY_MODES)[number];
  readonly #paths: IssuerPaths;
  readonly #counter = new RequestCounter();
  readonly #keys: HeldKey[] = [];
  readonly #current = new Map<TestAlg, HeldKey>();
  readonly #kidSerial = new Map<TestAlg, number>();
  readonly #slowTimers = new Set<NodeJS.Timeout>();
  readonly #hung = new Set<HungRequest>();
  readonly #tokens: TokenEndpoint;
  #port = 0;
  #jwksOverride: { keys: unknown[] } | undefined;
  #fault: { mode: FaultMode; target: FaultTarget } | undefined;
  #refused = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  // fail/heal/close each await socket work; running them one at a time keeps
  // "refused" and "listening" from interleaving.
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    options: TestIssuerOptions,
    algorithms: readonly TestAlg[],
    discovery: (typeof DISCOVERY_MODES)[number],
  ) {
    this.#options = options;
    this.#algorithms = algorithms;
    this.#discovery = discovery;
    this.#paths = issuerPaths(normalizeIssuerPath(options.path));
    this.#tokens = new TokenEndpoint({
      url: () => this.tokenEndpoint,
      requireDpop: options.requireDpop ?? false,
      sign: (claims, signOptions) => this.sign(claims, signOptions),
    });
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  /** Generates the initial keys, then binds the port. */
  async start(): Promise<void> {
    const keys = await Promise.all(this.#algorithms.map((alg) => this.#generate(alg, {})));
    for (const key of keys) this.#hold(key, true);
    this.#port = await listen(this.#server, this.#options.port ?? 0);
  }

  get url(): string {
    return `http://${HOST}:${this.#port}`;
  }

  get issuer(): string {
    return this.url + this.#paths.base;
  }

  get jwksUri(): string {
    return this.url + this.#paths.jwks;
  }

  get discoveryUrl(): string {
    return this.url + this.#paths.oidc;
  }

  get oauthMetadataUrl(): string {
    return this.url + this.#paths.oauth;
  }

  get tokenEndpoint(): string {
    return this.url + this.#paths.token;
  }

  get keys(): readonly TestKey[] {
    return Object.freeze([...this.#keys]);
  }

  get requests(): Readonly<RequestCounts> {
    return this.#counter.counts;
  }

  async sign(claims: Record<string, unknown> = {}, options: SignOptions = {}): Promise<string> {
    const key = this.#signingKey(options);
    const header: Record<string, unknown> = {
      alg: key.alg,
      kid: key.kid,
      typ: options.typ ?? DEFAULT_TYP,
      ...options.header,
    };
    const { alg } = header;
    if (typeof alg !== 'string') throw new TypeError('header.alg must be a string');
    return signCompact(key, { ...header, alg }, buildClaims(this.issuer, claims, options));
  }

  async addKey(alg: TestAlg, options: AddKeyOptions = {}): Promise<TestKey> {
    const key = await this.#generate(alg, options);
    this.#hold(key, !this.#current.has(alg));
    return key;
  }

  async rotate(alg?: TestAlg, options: RotateOptions = {}): Promise<TestKey> {
    const target = alg ?? this.#defaultAlg();
    const previous = this.#current.get(target);
    const key = await this.#generate(target, {});
    this.#hold(key, true);
    if (previous && !options.keepOld) previous.inJwks = false;
    return key;
  }

  removeKey(kid: string): void {
    this.#keyByKid(kid).inJwks = false;
  }

  setJwksKeys(jwks: { keys: unknown[] }): void {
    // Snapshot through JSON so later mutation by the caller cannot change
    // what is served, and so the body is exactly what JSON can express.
    this.#jwksOverride = JSON.parse(JSON.stringify(jwks)) as { keys: unknown[] };
  }

  resetJwks(): void {
    this.#jwksOverride = undefined;
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.filter((k) => k.inJwks).map((k) => k.publicJwk) };
  }

  async fail(mode: FaultMode, options: FailOptions = {}): Promise<void> {
    assertFaultMode(mode);
    await this.#serial(async () => {
      if (this.#closed) throw new Error('Test issuer is closed');
      await this.#heal();
      if (mode.type === 'refuse') {
        this.#refused = true;
        this.#dropPending();
        await stopListening(this.#server);
      } else {
        this.#fault = { mode, target: options.only ?? 'all' };
      }
    });
  }

  heal(): Promise<void> {
    return this.#serial(() => this.#heal());
  }

  resetCounts(): void {
    this.#counter.reset();
  }

  waitForRequests(kind: RequestKind, n: number, timeoutMs?: number): Promise<void> {
    return this.#counter.waitFor(kind, n, timeoutMs);
  }

  close(): Promise<void> {
    this.#closing ??= this.#serial(async () => {
      this.#closed = true;
      this.#fault = undefined;
      this.#dropPending();
      this.#counter.rejectAll(new Error('Test issuer closed'));
      await stopListening(this.#server);
    });
    return this.#closing;
  }

  #serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #heal(): Promise<void> {
    if (this.#closed) return;
    this.#fault = undefined;
    // "hang" means "until healed": release the held requests with the answer
    // they would have had.
    for (const hung of this.#hung) respond(hung.res, hung.answer);
    this.#hung.clear();
    if (this.#refused) {
      // Same port, so URLs the caller already handed out keep working.
      await listen(this.#server, this.#port);
      this.#refused = false;
    }
  }

  /** Forgets delayed and hung responses; their sockets are destroyed by the caller. */
  #dropPending(): void {
    for (const timer of this.#slowTimers) clearTimeout(timer);
    this.#slowTimers.clear();
    this.#hung.clear();
  }

  #defaultAlg(): TestAlg {
    const alg = this.#algorithms[0];
    if (!alg) throw new Error('No default algorithm: the issuer was created with algorithms: []');
    return alg;
  }

  #keyByKid(kid: string): HeldKey {
    const key = this.#keys.find((k) => k.kid === kid);
    if (!key) throw new Error(`No key with kid ${JSON.stringify(kid)}`);
    return key;
  }

  #signingKey(options: SignOptions): HeldKey {
    if (options.kid !== undefined) {
      const key = this.#keyByKid(options.kid);
      if (options.alg !== undefined && options.alg !== key.alg) {
        throw new Error(`Key ${options.kid} is ${key.alg}, not ${options.alg}`);
      }
      return key;
    }
    const alg = options.alg ?? this.#defaultAlg();
    const key = this.#current.get(alg);
    if (!key) throw new Error(`No ${alg} key; create one with addKey('${alg}')`);
    return key;
  }

  async #generate(alg: TestAlg, options: AddKeyOptions): Promise<HeldKey> {
    if (options.kid !== undefined && this.#keys.some((k) => k.kid === options.kid)) {
      // Unique kids keep sign({ kid }) unambiguous; publish a duplicate with
      // jwkOverrides: { kid } instead.
      throw new Error(`Duplicate kid ${JSON.stringify(options.kid)}`);
    }
    const serial = (this.#kidSerial.get(alg) ?? 0) + 1;
    this.#kidSerial.set(alg, serial);
    return generateTestKey(alg, options.kid ?? makeKid(alg, serial), {
      ...options,
      modulusLength:
        options.modulusLength ?? this.#options.rsaModulusLength ?? DEFAULT_RSA_MODULUS_LENGTH,
    });
  }

  #hold(key: HeldKey, makeCurrent: boolean): void {
    this.#keys.push(key);
    if (makeCurrent) this.#current.set(key.alg, key);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const target = this.#classify(pathname);
    // Counted before any fault so tests can see that a client did try.
    this.#counter.record(target);
    const answer: Answer =
      target === 'token' ? this.#tokens.accept(req) : () => this.#normalReply(pathname);
    const fault = this.#fault;
    if (target === 'other' || !fault || !faultApplies(fault.target, target)) {
      respond(res, answer);
      return;
    }
    const { mode } = fault;
    if (mode.type === 'hang') {
      const hung: HungRequest = { answer, res };
      this.#hung.add(hung);
      res.once('close', () => this.#hung.delete(hung));
      return;
    }
    if (mode.type === 'slow') {
      const timer = setTimeout(() => {
        this.#slowTimers.delete(timer);
        respond(res, answer);
      }, mode.delayMs);
      // Never the reason a test process stays alive; close() clears it anyway.
      timer.unref();
      this.#slowTimers.add(timer);
      return;
    }
    if (target === 'token') {
      respond(res, () => faultAnswer(mode, target, answer));
      return;
    }
    const body = target === 'jwks' ? this.#jwksBody() : (this.#discoveryBody(pathname) ?? {});
    send(res, faultReply(mode, target, body) ?? this.#normalReply(pathname));
  }

  #classify(pathname: string): RequestTarget {
    if (pathname === this.#paths.jwks) return 'jwks';
    if (pathname === this.#paths.oidc || pathname === this.#paths.oauth) return 'discovery';
    if (pathname === this.#paths.token) return 'token';
    return 'other';
  }

  #normalReply(pathname: string): Reply {
    if (pathname === this.#paths.jwks) {
      const cacheControl = this.#options.cacheControl;
      return json(200, this.#jwksBody(), cacheControl ? { 'cache-control': cacheControl } : {});
    }
    const document = this.#discoveryBody(pathname);
    if (document) return json(200, document);
    return json(404, { error: 'not_found' });
  }

  #jwksBody(): { keys: unknown[] } {
    return this.#jwksOverride ?? this.jwks();
  }

  /** The metadata document for `pathname`, if this issuer serves one there. */
  #discoveryBody(pathname: string): Record<string, unknown> | undefined {
    const mode = this.#discovery;
    let kind: 'oidc' | 'oauth';
    if (pathname === this.#paths.oidc && (mode === 'oidc' || mode === 'both')) kind = 'oidc';
    else if (pathname === this.#paths.oauth && (mode === 'oauth' || mode === 'both')) {
      kind = 'oauth';
    } else return undefined;
    const published = [...new Set(this.#keys.filter((k) => k.inJwks).map((k) => k.alg))];
    const algorithms = published.length > 0 ? published : this.#algorithms;
    return metadataDocument(kind, this.url, this.#paths, algorithms, this.#options);
  }
}
