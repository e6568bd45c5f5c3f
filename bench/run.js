#!/usr/bin/env node
// jwks-auth benchmark runner. See bench/README.md.
//
//   node bench/run.js                 full run (< 10 min), writes docs/benchmarks.{md,svg}
//   node bench/run.js --quick         ~1 min smoke run, writes bench/results/ only
//   node bench/run.js --only=express,fastify --scenario=hot,storm
//   node bench/run.js --report=bench/results/<file>.json   re-render a saved run
//
// Every app runs in its own process pinned to CPU 0 (taskset), the load
// generator (wrk, else autocannon) on CPU 1. The key set is served by a
// createTestIssuer() running in this process; every app points at its URL.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createTestIssuer } from '@jwks-auth/testing';
import { FRAMEWORKS, packageBuilt, startApp } from './lib/apps.js';
import { detectTool, runLoad } from './lib/load.js';
import { machineInfo, startNoiseSample } from './lib/machine.js';
import { canPin, killAll, runTracked, sleep, spawnTracked } from './lib/proc.js';
import { renderMarkdown, renderSvg } from './lib/report.js';
import { writeDpopRequests } from './lib/dpop.js';
import { summarizeRuns } from './lib/stats.js';
import {
  fingerprint,
  mintParallel,
  mintTokens,
  signingKey,
  tamper,
  writeTokenFile,
} from './lib/tokens.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));
const RESULTS = `${BENCH}results/`;
const WORK = `${RESULTS}work/`;
const APP_CPU = 0;
const LOAD_CPU = 1;
const AUDIENCE = 'https://api.example.test';
const ALGS = ['RS256', 'ES256'];
const ALL_SCENARIOS = ['hot-RS256', 'hot-ES256', 'cold-RS256', 'cold-ES256', 'dpop-ES256'];
const PHASES = ['http', 'storm', 'micro', 'budget', 'added', 'redis', 'memory'];

const MODES = {
  full: {
    warmupFirst: 1, // s of load on each fresh app process before its cells are measured
    warmup: 0, // s of extra warm-up per additional cell of the same process
    runs: 5,
    duration: 2, // s per run (5 interleaved rounds, each one pair per app; see README for the time budget)
    connections: 50,
    hotTokens: 100,
    floorApps: true, // measure "bare + crypto.verify" apps in cold scenarios
    coldPool: { RS256: 60_000, ES256: 100_000 },
    scenarios: ALL_SCENARIOS,
    storm: { connections: 500, warmup: 1, steady: 2, storm: 2, apps: 'all' }, // one client run per app
    micro: { warmupMs: 250, sampleMs: 300, samples: 3, coldTokens: 20_000 },
    budgetRounds: 7,
    addedSeconds: 15,
    redis: { rounds: 5, durationMs: 2000, processes: 4 }, // bench/redis.js: ~1 min
    dpopPool: 40_000, // distinct proofs; one process uses at most ~3 s x its req/s of them
    memoryTokens: 1_000_000,
    memoryMaxSeconds: 150, // stops early (and the report says so) on a machine too busy for the budget
  },
  quick: {
    warmupFirst: 1,
    warmup: 0,
    runs: 1,
    duration: 1,
    connections: 50,
    hotTokens: 100,
    floorApps: false, // keeps the smoke run near one minute
    coldPool: { RS256: 3_000, ES256: 20_000 },
    scenarios: ['hot-RS256', 'cold-ES256'],
    storm: { connections: 500, warmup: 0.5, steady: 1, storm: 1, apps: 'jwks-auth' },
    micro: { warmupMs: 40, sampleMs: 120, samples: 1, coldTokens: 3_000 },
    budgetRounds: 3,
    addedSeconds: 2,
    redis: { rounds: 2, durationMs: 500, processes: 4 },
    dpopPool: 10_000,
    memoryTokens: 20_000,
    memoryMaxSeconds: 30,
  },
};

// ---------------------------------------------------------------- CLI

function parseArgs(argv) {
  const args = {
    quick: false,
    only: undefined,
    scenario: undefined,
    keepGoing: false,
    docs: undefined,
  };
  for (const arg of argv) {
    const [flag, value] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const list = () =>
      (value ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    switch (flag) {
      case '--quick':
        args.quick = true;
        break;
      case '--only':
        args.only = list();
        break;
      case '--scenario':
        args.scenario = list();
        break;
      case '--runs':
        args.runs = Number(value);
        break;
      case '--duration':
        args.duration = Number(value);
        break;
      case '--warmup':
        args.warmup = Number(value);
        break;
      case '--connections':
        args.connections = Number(value);
        break;
      case '--memory-tokens':
        args.memoryTokens = Number(value);
        break;
      case '--tool':
        args.tool = value;
        break;
      case '--no-install':
        args.noInstall = true;
        break;
      case '--keep-going':
        args.keepGoing = true;
        break;
      case '--no-floor-apps':
        args.noFloorApps = true;
        break;
      case '--docs':
        args.docs = true;
        break;
      case '--no-docs':
        args.docs = false;
        break;
      case '--report':
        args.report = value;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        throw new Error(`unknown option ${arg} (see --help)`);
    }
  }
  return args;
}

const HELP = `Usage: node bench/run.js [options]
  --quick                 ~1 minute smoke run (1 x 1 s runs, fewer scenarios, 20k-token memory test)
  --only=express,koa      frameworks to benchmark over HTTP (default: express,fastify,hono,koa)
  --scenario=LIST         any of: hot, cold, dpop, hot-RS256, hot-ES256, cold-RS256, cold-ES256, dpop-ES256,
                          storm, micro, budget, added, redis, memory, http (default: everything)
  --runs=N                rounds; each starts fresh app processes (default 5; quick 1)
  --duration=S --warmup=S --connections=N   seconds per measured run, seconds of warm-up per
                          fresh process, connections (defaults 2, 1, 50)
                          (redis phase: --runs=N rounds, --duration=S per variant; defaults 5 x 2 s, quick 2 x 0.5 s)
  --memory-tokens=N       tokens pushed through the verifier in the memory test
  --tool=wrk|autocannon   load generator (default wrk; installed with apt-get if missing)
  --no-install            never try to install wrk
  --keep-going            record a failed pre-flight and continue instead of aborting
  --no-floor-apps         skip the "bare + crypto.verify" reference apps in cold scenarios
  --docs / --no-docs      write docs/benchmarks.{md,svg} (default: only for a full, unfiltered run)
  --report=FILE.json      only re-render the report from a saved results file`;

/** Resolves --scenario into the HTTP scenarios and the other phases to run. */
function selectScenarios(mode, requested) {
  if (!requested || requested.length === 0)
    return { http: mode.scenarios, phases: new Set(PHASES) };
  const http = new Set();
  const phases = new Set();
  for (const item of requested) {
    if (item === 'http') mode.scenarios.forEach((s) => http.add(s));
    else if (item === 'hot' || item === 'cold' || item === 'dpop')
      ALL_SCENARIOS.filter((s) => s.startsWith(`${item}-`)).forEach((s) => http.add(s));
    else if (ALL_SCENARIOS.includes(item)) http.add(item);
    else if (PHASES.includes(item)) phases.add(item);
    else throw new Error(`unknown scenario ${item}`);
  }
  if (http.size > 0) phases.add('http');
  return { http: ALL_SCENARIOS.filter((s) => http.has(s)), phases };
}

// ---------------------------------------------------------------- helpers

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s`;
const log = (...parts) => console.log(`[${elapsed()}]`, ...parts);
const fmt = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d })
    : '–';

async function expectStatus(url, token, expected, what) {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  let res;
  let body = '';
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
    body = await res.text();
  } catch (error) {
    throw new Error(`pre-flight ${what}: request failed: ${error.message}`);
  }
  if (res.status !== expected) {
    throw new Error(
      `pre-flight ${what}: expected ${expected}, got ${res.status} ${body.slice(0, 300)}`,
    );
  }
  if (expected === 200) {
    let json;
    try {
      json = JSON.parse(body);
    } catch {
      throw new Error(`pre-flight ${what}: body is not JSON: ${body.slice(0, 200)}`);
    }
    if (json.ok !== true) throw new Error(`pre-flight ${what}: body ${body.slice(0, 200)}`);
    return json;
  }
  return undefined;
}

/** The unverified payload of a token (to know which subject the app must echo). */
const payloadOf = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

/**
 * 200 (echoing the token's subject) for a valid token of each alg; 401 for a
 * tampered signature, a wrong audience, a wrong issuer, an expired token, a
 * malformed token and no token. So every app really checks what it claims to.
 */
async function preflight(app, kind, validByAlg, badTokens = {}) {
  const url = `http://127.0.0.1:${app.port}/hello`;
  if (kind === 'bare') {
    await expectStatus(url, undefined, 200, `${app.id} without token`);
    return { checks: 1 };
  }
  if (kind === 'floor') {
    // Signature only, by design: no claim checks.
    for (const [alg, token] of Object.entries(validByAlg)) {
      await expectStatus(url, token, 200, `${app.id} valid ${alg} token`);
      await expectStatus(url, tamper(token), 401, `${app.id} tampered ${alg} signature`);
    }
    await expectStatus(url, undefined, 401, `${app.id} without token`);
    return { checks: Object.keys(validByAlg).length * 2 + 1 };
  }
  let checks = 0;
  const subjects = {};
  for (const [alg, token] of Object.entries(validByAlg)) {
    const body = await expectStatus(url, token, 200, `${app.id} valid ${alg} token`);
    const expected = payloadOf(token).sub;
    if (body.sub !== expected) {
      throw new Error(
        `pre-flight ${app.id} valid ${alg} token: expected "sub":"${expected}" in the body, got ${JSON.stringify(body)}`,
      );
    }
    subjects[alg] = body.sub;
    await expectStatus(url, tamper(token), 401, `${app.id} tampered ${alg} signature`);
    checks += 2;
  }
  for (const [what, token] of Object.entries(badTokens)) {
    await expectStatus(url, token, 401, `${app.id} ${what}`);
    checks += 1;
  }
  await expectStatus(url, undefined, 401, `${app.id} without token`);
  await expectStatus(url, 'not-a-jwt', 401, `${app.id} malformed token`);
  return { checks: checks + 2, subjects };
}

// ---------------------------------------------------------------- main

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    console.log(HELP);
    return;
  }
  if (args.report) {
    const results = JSON.parse(await readFile(args.report, 'utf8'));
    await writeReports(results, args.docs ?? false);
    return;
  }

  const modeName = args.quick ? 'quick' : 'full';
  const mode = structuredClone(MODES[modeName]);
  for (const key of ['runs', 'duration', 'connections', 'memoryTokens']) {
    if (args[key] !== undefined) {
      if (!Number.isFinite(args[key]) || args[key] < 0)
        throw new Error(`--${key} must be a number`);
      mode[key] = args[key];
    }
  }
  if (args.warmup !== undefined) {
    if (!Number.isFinite(args.warmup) || args.warmup < 0)
      throw new Error('--warmup must be a number');
    mode.warmupFirst = args.warmup;
  }
  if (args.noFloorApps) mode.floorApps = false;
  const frameworks = args.only ?? Object.keys(FRAMEWORKS);
  for (const f of frameworks)
    if (!FRAMEWORKS[f])
      throw new Error(`unknown framework ${f} (${Object.keys(FRAMEWORKS).join(', ')})`);
  const selection = selectScenarios(mode, args.scenario);
  const filtered =
    args.only !== undefined ||
    args.scenario !== undefined ||
    args.runs !== undefined ||
    args.duration !== undefined;
  const writeDocs = args.docs ?? (modeName === 'full' && !filtered);

  if (!packageBuilt('@jwks-auth/core') || !packageBuilt('@jwks-auth/testing')) {
    throw new Error(
      '@jwks-auth/core and @jwks-auth/testing must be built first: run `pnpm build` (or use `pnpm bench`)',
    );
  }
  const tool = detectTool({ prefer: args.tool ?? 'wrk', install: !args.noInstall, log });
  const pinned = canPin();
  const machine = machineInfo(tool, pinned);
  log(
    `jwks-auth bench, ${modeName} mode: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${machine.tool}`,
  );
  if (!pinned) log('WARNING: taskset unavailable or < 2 CPUs: processes are NOT pinned');
  if (machine.loadavgAtStart[0] > 0.5)
    log(
      `note: load average ${machine.loadavgAtStart.join(' ')}: the machine is not idle, expect noise`,
    );

  // Which apps exist: jwks-auth adapters may not be built yet.
  const plan = [];
  const unavailable = [];
  for (const framework of frameworks) {
    for (const app of FRAMEWORKS[framework]) {
      if (
        app.kind === 'floor' &&
        (!mode.floorApps || !selection.http.some((x) => x.startsWith('cold-')))
      )
        continue;
      if (app.package && !packageBuilt(app.package)) {
        unavailable.push({ ...app, framework, reason: `${app.package} is not built` });
        continue;
      }
      plan.push({ ...app, framework });
    }
  }
  for (const u of unavailable) log(`skipping ${u.id}: ${u.reason}`);

  const results = {
    version: 1,
    mode: modeName,
    argv: process.argv.slice(2),
    machine,
    config: {
      ...mode,
      scenarios: selection.http,
      phases: [...selection.phases],
      frameworks,
      appCpu: APP_CPU,
      loadCpu: LOAD_CPU,
      audience: AUDIENCE,
    },
    apps: Object.fromEntries(
      [...plan, ...unavailable].map((a) => [
        a.id,
        {
          framework: a.framework,
          kind: a.kind,
          label: a.label,
          available: !a.reason,
          reason: a.reason,
        },
      ]),
    ),
    tokens: {},
    http: [],
    storm: [],
    micro: undefined,
    memory: undefined,
    notes: [],
    timings: {},
  };
  const mark = (phase, since) =>
    (results.timings[phase] = Math.round((Date.now() - since) / 100) / 10);

  await rm(WORK, { recursive: true, force: true });
  await mkdir(WORK, { recursive: true });
  const issuers = [];
  const stormApps = [];
  try {
    // ------------------------------------------------ key set + tokens
    let since = Date.now();
    const issuer = await createTestIssuer({ algorithms: ALGS });
    issuers.push(issuer);
    const keys = Object.fromEntries(
      ALGS.map((alg) => [alg, signingKey(issuer.keys.find((k) => k.alg === alg))]),
    );
    const hot = {};
    const cold = {};
    const httpCold = new Set(
      selection.http.filter((s) => s.startsWith('cold-')).map((s) => s.split('-')[1]),
    );
    const needCold = new Set(httpCold);
    // The micro-benchmark (or, without it, the floor measurement) needs cold tokens of every alg.
    if (selection.phases.has('micro') || needCold.size > 0) ALGS.forEach((a) => needCold.add(a));
    for (const alg of ALGS) {
      const tokens = mintTokens({
        key: keys[alg],
        issuer: issuer.issuer,
        audience: AUDIENCE,
        count: mode.hotTokens,
        prefix: `hot-${alg}`,
      });
      hot[alg] = {
        file: await writeTokenFile(`${WORK}hot-${alg}.txt`, tokens),
        count: tokens.length,
        first: tokens[0],
        fingerprint: fingerprint(tokens),
      };
    }
    // DPoP: distinct proofs for one bound token; each fresh app process starts the pool over.
    const dpop = {};
    if (selection.http.includes('dpop-ES256')) {
      const start = Date.now();
      dpop.ES256 = await writeDpopRequests({
        issuer,
        audience: AUDIENCE,
        count: mode.dpopPool,
        file: `${WORK}dpop-ES256.txt`,
      });
      log(`made ${fmt(mode.dpopPool)} DPoP proofs in ${fmt((Date.now() - start) / 1000, 1)} s`);
    }
    for (const alg of ALGS) {
      if (!needCold.has(alg)) continue;
      const count = Math.max(httpCold.has(alg) ? mode.coldPool[alg] : 0, mode.micro.coldTokens);
      const start = Date.now();
      const tokens = await mintParallel({
        key: keys[alg],
        issuer: issuer.issuer,
        audience: AUDIENCE,
        count,
        prefix: `cold-${alg}`,
      });
      cold[alg] = {
        file: await writeTokenFile(`${WORK}cold-${alg}.txt`, tokens),
        count: tokens.length,
        signMs: Date.now() - start,
        fingerprint: fingerprint(tokens),
      };
      log(
        `signed ${fmt(count)} distinct ${alg} tokens in ${fmt((Date.now() - start) / 1000, 1)} s`,
      );
    }
    results.tokens = {
      claims: 'iss, sub, aud, client_id, scope, iat, exp (+1 h), jti; header alg, kid, typ at+jwt',
      hot: Object.fromEntries(
        Object.entries(hot).map(([a, v]) => [a, { count: v.count, fingerprint: v.fingerprint }]),
      ),
      cold: Object.fromEntries(
        Object.entries(cold).map(([a, v]) => [
          a,
          { count: v.count, signMs: v.signMs, fingerprint: v.fingerprint },
        ]),
      ),
    };
    mark('tokens', since);
    const appEnv = {
      ISSUER: issuer.issuer,
      JWKS_URI: issuer.jwksUri,
      AUDIENCE,
      ALGORITHMS: ALGS.join(','),
    };
    const validByAlg = Object.fromEntries(ALGS.map((a) => [a, hot[a].first]));
    const bad = (claims) =>
      mintTokens({
        key: keys.RS256,
        issuer: issuer.issuer,
        audience: AUDIENCE,
        count: 1,
        prefix: 'bad',
        claims,
      })[0];
    const now = Math.floor(Date.now() / 1000);
    const badTokens = {
      'wrong audience': bad({ aud: 'https://other.example.test' }),
      'wrong issuer': bad({ iss: 'http://127.0.0.1:1/other-issuer' }),
      'expired token (exp 10 min ago)': bad({ iat: now - 3600, exp: now - 600 }),
    };

    // ------------------------------------------------ rotation storm setup
    // Storm apps must be idle for longer than the unknown-kid cooldown (30 s in
    // jwks-auth and jose) since their first key-set fetch, and for less than
    // 80% of the key-set max age (8 min), so they are started either before the
    // HTTP phase (short runs) or before micro/memory (long runs).
    const storm = selection.phases.has('storm')
      ? await prepareStorm(mode, plan, issuers)
      : undefined;
    const microMemoryEstimateS = estimateMicroMemoryS(mode, selection);
    const startStormEarly = storm && (microMemoryEstimateS < 40 || !selection.phases.has('http'));
    if (storm && startStormEarly) await startStormApps(storm, stormApps);

    // ------------------------------------------------ HTTP
    if (selection.phases.has('http')) {
      since = Date.now();
      for (const framework of frameworks) {
        const apps = plan.filter((a) => a.framework === framework);
        await benchFramework({
          framework,
          apps,
          scenarios: selection.http,
          mode,
          tool,
          appEnv,
          validByAlg,
          badTokens,
          hot,
          cold,
          dpop,
          results,
          keepGoing: args.keepGoing,
        });
      }
      mark('http', since);
    }

    if (storm && !startStormEarly) await startStormApps(storm, stormApps);

    // ------------------------------------------------ micro
    // Without the micro phase, cold scenarios still need the crypto.verify floor for the ideal bound.
    const floorOnly =
      !selection.phases.has('micro') && selection.http.some((s) => s.startsWith('cold-'));
    if (selection.phases.has('micro') || floorOnly) {
      since = Date.now();
      const cfgFile = `${WORK}micro-config.json`;
      const outFile = `${WORK}micro-result.json`;
      await writeFile(
        cfgFile,
        JSON.stringify({
          issuer: issuer.issuer,
          jwksUri: issuer.jwksUri,
          audience: AUDIENCE,
          algs: ALGS,
          jwks: issuer.jwks(),
          hot: Object.fromEntries(ALGS.map((a) => [a, hot[a].file])),
          cold: Object.fromEntries(ALGS.filter((a) => cold[a]).map((a) => [a, cold[a].file])),
          coldTokens: mode.micro.coldTokens,
          warmupMs: mode.micro.warmupMs,
          sampleMs: mode.micro.sampleMs,
          samples: mode.micro.samples,
          floorOnly,
          out: outFile,
        }),
      );
      log(
        floorOnly
          ? 'crypto.verify floor (pinned)'
          : `micro-benchmark (pinned to CPU ${APP_CPU}, ~${fmt(estimateMicroS(mode))} s)`,
      );
      const r = await runTracked(process.execPath, [`${BENCH}micro.js`, `--config=${cfgFile}`], {
        cpu: APP_CPU,
        timeoutMs: 300_000,
      });
      if (r.code !== 0) throw new Error(`micro.js failed (${r.code}):\n${r.stderr}`);
      process.stdout.write(r.stdout.trimEnd().replace(/^/gm, '        ') + '\n');
      results.micro = JSON.parse(await readFile(outFile, 'utf8'));
      mark('micro', since);
    }

    // ------------------------------------------------ budget
    if (selection.phases.has('budget')) {
      since = Date.now();
      const outFile = `${WORK}budget-result.json`;
      log(`per-stage budget of the core (pinned to CPU ${APP_CPU})`);
      const r = await runTracked(
        process.execPath,
        [`${BENCH}budget.js`, `--out=${outFile}`, `--rounds=${mode.budgetRounds}`],
        { cpu: APP_CPU, timeoutMs: 300_000 },
      );
      if (r.code !== 0) throw new Error(`budget.js failed (${r.code}):\n${r.stderr}`);
      process.stdout.write(r.stdout.trimEnd().replace(/^/gm, '        ') + '\n');
      results.budget = JSON.parse(await readFile(outFile, 'utf8'));
      mark('budget', since);
    }

    // ------------------------------------------------ added
    if (selection.phases.has('added')) {
      since = Date.now();
      const outFile = `${WORK}added-result.json`;
      log(
        `time added per request, in process (pinned to CPU ${APP_CPU}, ~${6 * mode.addedSeconds} s)`,
      );
      const r = await runTracked(
        process.execPath,
        [`${BENCH}added.js`, `--out=${outFile}`, `--seconds=${mode.addedSeconds}`],
        { cpu: APP_CPU, timeoutMs: 600_000 },
      );
      if (r.code !== 0) throw new Error(`added.js failed (${r.code}):\n${r.stderr}`);
      process.stdout.write(r.stdout.trimEnd().replace(/^/gm, '        ') + '\n');
      results.added = JSON.parse(await readFile(outFile, 'utf8'));
      mark('added', since);
    }

    // ------------------------------------------------ redis (replay store, shared key sets)
    if (selection.phases.has('redis')) await runRedisPhase(mode, args, results);

    // ------------------------------------------------ memory
    if (selection.phases.has('memory')) {
      since = Date.now();
      const outFile = `${WORK}memory-result.json`;
      log(
        `memory: ${fmt(mode.memoryTokens)} distinct ES256 tokens through one verifier (cache on)`,
      );
      const r = await runTracked(
        process.execPath,
        [
          '--expose-gc',
          `${BENCH}memory.js`,
          `--tokens=${mode.memoryTokens}`,
          `--max-seconds=${mode.memoryMaxSeconds}`,
          `--out=${outFile}`,
        ],
        { timeoutMs: 600_000 },
      );
      if (r.code !== 0) throw new Error(`memory.js failed (${r.code}):\n${r.stderr}`);
      process.stdout.write(r.stdout.trimEnd().replace(/^/gm, '        ') + '\n');
      results.memory = JSON.parse(await readFile(outFile, 'utf8'));
      mark('memory', since);
    }

    // ------------------------------------------------ storm
    if (storm) {
      since = Date.now();
      await runStorms(storm, stormApps, mode, results, args.keepGoing);
      mark('storm', since);
    }
  } finally {
    for (const app of stormApps) await app.stop?.().catch(() => {});
    killAll();
    for (const i of issuers) await i.close().catch(() => {});
  }

  results.timings.total = Math.round((Date.now() - t0) / 100) / 10;
  await mkdir(RESULTS, { recursive: true });
  const stamp = results.machine.date.replace(/[:.]/g, '-');
  const jsonFile = `${RESULTS}${modeName}-${stamp}.json`;
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(`${RESULTS}latest-${modeName}.json`, `${JSON.stringify(results, null, 2)}\n`);
  await rm(WORK, { recursive: true, force: true });
  log(`raw results: ${jsonFile.replace(ROOT, '')}`);
  await writeReports(results, writeDocs, stamp);
  log(`done in ${fmt(results.timings.total, 1)} s`);
}

// ---------------------------------------------------------------- HTTP

/**
 * Benchmarks every app of one framework in `mode.runs` rounds. Each round
 * starts a FRESH process per app (pinned to the app CPU; idle unless loaded),
 * pre-flights it, warms it up, then runs every cell (app x scenario) once, in
 * an order rotated per round. So the median is taken over independent
 * processes (V8's JIT and heap sizing differ from process to process by more
 * than the run-to-run noise), and slow drifts in background load hit the bare
 * app, jwks-auth and the peers alike.
 */
async function benchFramework({
  framework,
  apps,
  scenarios,
  mode,
  tool,
  appEnv,
  validByAlg,
  badTokens,
  hot,
  cold,
  dpop,
  results,
  keepGoing,
}) {
  const algs = [...new Set(scenarios.map((x) => x.split('-')[1]))];
  const cellsOf = (app) => {
    // The bare app gets one cell per algorithm: the same Authorization header
    // as the auth apps (hot tokens of that alg), which it ignores, so "x bare"
    // isolates the middleware from the cost of receiving a 0.5-0.7 KB header.
    // DPoP cells only for the apps built for them (app.dpop), and only those.
    const own =
      app.kind === 'bare'
        ? algs
            .filter((alg) => scenarios.some((x) => x.endsWith(alg) && !x.startsWith('dpop-')))
            .map((alg) => `bare-${alg}`)
        : app.kind === 'floor'
          ? scenarios.filter((x) => x.startsWith('cold-'))
          : scenarios.filter((x) => x.startsWith('dpop-') === (app.dpop === true));
    return own.map((scenario) => {
      const [temp, alg] = scenario.split('-');
      return { app, scenario, temp, alg, runs: [], warmups: [], sent: 0 };
    });
  };
  const failed = new Set();
  const cells = apps.flatMap(cellsOf);
  if (cells.length === 0) return;
  const offsets = new Map(); // per app and alg: where the cold pool continues
  const load = (running, cell, duration, withNoise) => {
    const key = `${cell.app.id}/${cell.alg}`;
    const pooled = cell.temp === 'cold' || cell.temp === 'dpop';
    const offset = pooled ? (offsets.get(key) ?? 0) : 0;
    const tokensFile =
      cell.temp === 'cold'
        ? cold[cell.alg].file
        : cell.temp === 'dpop'
          ? dpop[cell.alg].file
          : hot[cell.alg].file;
    const end = withNoise ? startNoiseSample(running.pid, APP_CPU, LOAD_CPU) : undefined;
    return runLoad({
      tool,
      url: `http://127.0.0.1:${running.port}/hello`,
      tokensFile,
      offset,
      connections: mode.connections,
      duration,
      cpu: LOAD_CPU,
    }).then((out) => {
      if (end) out.noise = end();
      // Requests still in flight when wrk stops reached the app but are not
      // counted: skip one per connection, or the next run replays their proofs.
      if (pooled) offsets.set(key, offset + out.requests + mode.connections);
      cell.sent += out.requests;
      return out;
    });
  };

  for (let round = 0; round < mode.runs; round += 1) {
    const running = new Map();
    try {
      for (const app of apps) {
        if (failed.has(app.id)) continue;
        let r;
        try {
          r = await startApp(app.id, appEnv, { cpu: APP_CPU });
          const pre = await preflight(r, app.kind, validByAlg, badTokens);
          results.apps[app.id].preflight = { ok: true, ...pre };
          running.set(app.id, r);
        } catch (error) {
          await r?.stop();
          results.apps[app.id].preflight = { ok: false, error: error.message };
          if (!keepGoing) throw error;
          failed.add(app.id);
          log(`PRE-FLIGHT FAILED for ${app.id}, continuing (--keep-going):\n${error.message}`);
        }
      }
      const live = cells.filter((c) => running.has(c.app.id));
      // Warm-up: each fresh process gets load on its first cell, then on every
      // other cell if the mode asks for per-cell warm-ups.
      const first = new Set();
      for (const cell of live) {
        const seconds = first.has(cell.app.id) ? mode.warmup : mode.warmupFirst;
        first.add(cell.app.id);
        if (seconds > 0)
          cell.warmups.push(await load(running.get(cell.app.id), cell, seconds, false));
      }
      log(
        `${framework} round ${round + 1}/${mode.runs}: ${running.size} fresh app processes pre-flighted and warmed up; ` +
          `${live.length} cells × ${mode.duration} s`,
      );
      const order = live.map((_, i) => live[(i + round * 3) % live.length]);
      for (const cell of order)
        cell.runs.push(await load(running.get(cell.app.id), cell, mode.duration, true));
      for (const cell of live) {
        if (running.get(cell.app.id).child.exitCode !== null) {
          throw new Error(
            `${cell.app.id} died during the round:\n${running.get(cell.app.id).stderr()}`,
          );
        }
      }
    } finally {
      for (const r of running.values()) await r.stop();
    }
  }

  for (const cell of cells) {
    if (cell.runs.length === 0) continue;
    const summary = summarizeRuns(cell.runs);
    const warmupRequests = cell.warmups.reduce((n, w) => n + w.requests, 0);
    const entry = {
      framework,
      app: cell.app.id,
      kind: cell.app.kind,
      label: cell.app.label,
      scenario: cell.scenario,
      temp: cell.temp,
      alg: cell.alg,
      processes: cell.runs.length,
      warmup: {
        requests: warmupRequests,
        errors: cell.warmups.reduce((n, w) => n + w.errors.status + w.errors.socket, 0),
      },
      runs: cell.runs,
      summary,
    };
    if (cell.temp === 'cold') {
      entry.cold = {
        pool: cold[cell.alg].count,
        sentThisScenario: cell.sent,
        reuseFactor: Math.round((cell.sent / cold[cell.alg].count) * 100) / 100,
      };
    }
    results.http.push(entry);
    const noise = cell.runs.map((r) => r.noise?.appCoreOtherPct ?? 0);
    log(
      `  ${cell.app.id.padEnd(26)} ${cell.scenario.padEnd(10)} ${fmt(summary.rps).padStart(7)} req/s ` +
        `[${fmt(summary.rpsMin)}–${fmt(summary.rpsMax)}] p99 ${fmt(summary.p99Ms, 2)} ms` +
        (summary.errors ? `  ERRORS ${summary.errors}` : '') +
        (entry.cold ? `  (pool ${fmt(entry.cold.pool)}, reuse ×${entry.cold.reuseFactor})` : '') +
        (Math.max(...noise) > 10
          ? `  noise: up to ${Math.max(...noise)}% other CPU on core ${APP_CPU}`
          : ''),
    );
    if (summary.errors)
      log(
        `  WARNING: ${summary.errors} non-2xx/socket errors during ${cell.app.id} ${cell.scenario}`,
      );
  }
}

// ---------------------------------------------------------------- rotation storm

async function prepareStorm(mode, plan, issuers) {
  const apps = plan.filter(
    (a) =>
      (a.kind === 'jwks-auth' || a.kind === 'peer') &&
      a.dpop !== true && // the DPoP variants answer Bearer like their base apps
      (mode.storm.apps === 'all' || a.kind === 'jwks-auth'),
  );
  if (apps.length === 0) {
    // jwks-auth not built yet: keep the storm code path exercised with a peer.
    const stand =
      plan.find((a) => a.id === 'express-oauth2-jwt-bearer') ?? plan.find((a) => a.kind === 'peer');
    if (stand) apps.push(stand);
  }
  if (apps.length === 0) return undefined;
  // A separate issuer, so rotating its key set cannot disturb anything else.
  const rot = await createTestIssuer({ algorithms: ['RS256'] });
  issuers.push(rot);
  const keyA = rot.keys[0];
  const keyB = await rot.addKey('RS256', { inJwks: false });
  const a = signingKey(keyA);
  const b = signingKey(keyB);
  const tokensA = mintTokens({
    key: a,
    issuer: rot.issuer,
    audience: AUDIENCE,
    count: 100,
    prefix: 'storm-a',
  });
  const tokensB = mintTokens({
    key: b,
    issuer: rot.issuer,
    audience: AUDIENCE,
    count: 100,
    prefix: 'storm-b',
  });
  return {
    issuer: rot,
    keyA,
    keyB,
    apps,
    fileA: await writeTokenFile(`${WORK}storm-a.txt`, tokensA),
    fileB: await writeTokenFile(`${WORK}storm-b.txt`, tokensB),
    tokenA: tokensA[0],
    env: { ISSUER: rot.issuer, JWKS_URI: rot.jwksUri, AUDIENCE, ALGORITHMS: ALGS.join(',') },
    startedAt: undefined,
  };
}

async function startStormApps(storm, stormApps) {
  storm.issuer.resetJwks(); // kid A only
  for (const app of storm.apps) {
    const running = await startApp(app.id, storm.env, { cpu: APP_CPU });
    stormApps.push(running);
    await preflight(running, app.kind, { RS256: storm.tokenA });
  }
  storm.startedAt = Date.now();
  log(
    `rotation storm: ${storm.apps.length} app(s) started and warmed with kid A (${storm.keyA.kid}); they idle until the storm`,
  );
}

/** Runs lib/storm-client.js pinned to the load CPU; calls onRotate when it asks. */
async function runStormClient({ url, fileA, fileB, connections, warmup, steady, storm, onRotate }) {
  const config = JSON.stringify({
    url,
    tokensA: fileA,
    tokensB: fileB,
    connections,
    warmup,
    steady,
    storm,
  });
  const child = spawnTracked(process.execPath, [`${BENCH}lib/storm-client.js`, config], {
    cpu: LOAD_CPU,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        reject(new Error(`storm client timed out\n${stderr}`));
      },
      (warmup + steady + storm + 60) * 1000,
    );
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      if (stdout.includes('ROTATE\n') && !child.rotated) {
        child.rotated = true;
        onRotate();
        child.stdin.write('GO\n');
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('STORM_JSON '));
      if (code !== 0 || !line)
        reject(new Error(`storm client failed (${code}):\n${stdout}\n${stderr}`));
      else resolve(JSON.parse(line.slice('STORM_JSON '.length)));
    });
  });
}

async function runStorms(storm, stormApps, mode, results, keepGoing) {
  const cooldownMs = 31_000;
  const wait = storm.startedAt + cooldownMs - Date.now();
  if (wait > 0) {
    log(
      `rotation storm: waiting ${fmt(wait / 1000, 1)} s so the apps' last key-set fetch is older than the 30 s unknown-kid cooldown`,
    );
    await sleep(wait);
  }
  const { issuer, connections } = { issuer: storm.issuer, connections: mode.storm.connections };
  for (const [i, app] of storm.apps.entries()) {
    const running = stormApps[i];
    const url = `http://127.0.0.1:${running.port}/hello`;
    try {
      issuer.resetJwks(); // kid A only, as at start-up
      const idleS = Math.round((Date.now() - storm.startedAt) / 1000);
      // One client run on established connections: warm-up and steady state
      // with kid-A tokens, then (on its ROTATE) kid B is published next to A,
      // the counters reset, and every connection switches to kid-B tokens.
      const r = await runStormClient({
        url,
        fileA: storm.fileA,
        fileB: storm.fileB,
        connections,
        warmup: mode.storm.warmup,
        steady: mode.storm.steady,
        storm: mode.storm.storm,
        onRotate: () => {
          issuer.setJwksKeys({ keys: [storm.keyA.publicJwk, storm.keyB.publicJwk] });
          issuer.resetCounts();
        },
      });
      const counts = { ...issuer.requests };
      const entry = {
        framework: app.framework,
        app: app.id,
        kind: app.kind,
        label: app.label,
        connections,
        idleBeforeS: idleS,
        steady: r.steady,
        storm: r.storm,
        stormFirstSecond: r.stormFirstSecond,
        jwksFetches: counts.jwks,
        discoveryFetches: counts.discovery,
      };
      entry.p99Ratio = entry.storm.p99Ms / entry.steady.p99Ms;
      results.storm.push(entry);
      log(
        `  storm ${app.id.padEnd(26)} fetches ${counts.jwks}  p99 steady ${fmt(entry.steady.p99Ms, 1)} ms → storm ${fmt(entry.storm.p99Ms, 1)} ms ` +
          `(×${fmt(entry.p99Ratio, 2)}), max ${fmt(entry.storm.maxMs, 1)} ms, statuses ${JSON.stringify(r.storm.statuses)}`,
      );
    } catch (error) {
      results.storm.push({
        framework: app.framework,
        app: app.id,
        kind: app.kind,
        label: app.label,
        error: error.message,
      });
      if (!keepGoing) throw error;
      log(`storm failed for ${app.id}: ${error.message}`);
    } finally {
      await running.stop();
    }
  }
}

// ---------------------------------------------------------------- redis

/**
 * bench/redis.js pinned to the app CPU, its redis-server to the load CPU.
 * Skipped with a note (not failed) when redis-server or @jwks-auth/redis is missing.
 */
async function runRedisPhase(mode, args, results) {
  const since = Date.now();
  const hasServer = await runTracked('redis-server', ['--version'], { timeoutMs: 10_000 }).then(
    (v) => v.code === 0,
    () => false,
  );
  const missing = !packageBuilt('@jwks-auth/redis')
    ? '@jwks-auth/redis is not built'
    : !hasServer
      ? 'redis-server is not installed (Debian: apt-get install redis-server)'
      : undefined;
  if (missing) {
    log(`skipping the redis phase: ${missing}`);
    results.notes.push(`redis phase not run: ${missing}.`);
    return;
  }
  const rounds = args.runs ?? mode.redis.rounds;
  const durationMs = args.duration !== undefined ? args.duration * 1000 : mode.redis.durationMs;
  const outFile = `${WORK}redis-result.json`;
  log(
    `@jwks-auth/redis: replay store (${rounds} rounds x 4 variants x ${durationMs} ms) and key set fetches of ${mode.redis.processes} processes`,
  );
  const r = await runTracked(
    process.execPath,
    [
      `${BENCH}redis.js`,
      `--out=${outFile}`,
      `--rounds=${rounds}`,
      `--duration=${durationMs}`,
      `--processes=${mode.redis.processes}`,
      `--redis-cpu=${LOAD_CPU}`,
    ],
    { cpu: APP_CPU, timeoutMs: 600_000 },
  );
  if (r.code !== 0) throw new Error(`redis.js failed (${r.code}):\n${r.stderr}`);
  process.stdout.write(r.stdout.trimEnd().replace(/^/gm, '        ') + '\n');
  results.redis = JSON.parse(await readFile(outFile, 'utf8'));
  results.timings.redis = Math.round((Date.now() - since) / 100) / 10;
}

// ---------------------------------------------------------------- estimates + reports

function estimateMicroS(mode) {
  const cases = 24; // per micro.js: 12 cases x 2 algs
  return (cases * (mode.micro.warmupMs + mode.micro.sampleMs * mode.micro.samples)) / 1000 + 2;
}

function estimateMicroMemoryS(mode, selection) {
  let s = 0;
  if (selection.phases.has('micro')) s += estimateMicroS(mode);
  if (selection.phases.has('memory')) s += mode.memoryTokens / 15_000;
  return s;
}

async function writeReports(
  results,
  writeDocs,
  stamp = results.machine.date.replace(/[:.]/g, '-'),
) {
  const md = renderMarkdown(results);
  const svg = renderSvg(results);
  await mkdir(RESULTS, { recursive: true });
  const base = `${RESULTS}${results.mode}-${stamp}`;
  await writeFile(`${base}.md`, md);
  await writeFile(`${base}.svg`, svg);
  log(`report: ${`${base}.md`.replace(ROOT, '')} (+ .svg)`);
  if (writeDocs) {
    await mkdir(`${ROOT}docs`, { recursive: true });
    await writeFile(`${ROOT}docs/benchmarks.md`, md);
    await writeFile(`${ROOT}docs/benchmarks.svg`, svg);
    log('wrote docs/benchmarks.md and docs/benchmarks.svg');
  }
  const summary = md.split('\n## ')[1];
  if (summary) console.log(`\n## ${summary.trim()}\n`);
}

main().catch((error) => {
  console.error(`\nbench failed: ${error.stack ?? error}`);
  killAll();
  process.exitCode = 1;
});

process.on('unhandledRejection', (error) => {
  console.error('unhandled rejection:', error);
  killAll();
  process.exit(1);
});
