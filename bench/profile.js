#!/usr/bin/env node
// CPU-profiles one benchmark app under load (node --cpu-prof), then prints the
// functions with the most self time. Not part of `pnpm bench`; a tool for
// finding where the time goes.
//
//   node bench/profile.js --app=express-jwks-auth --scenario=cold-RS256 [--duration=5] [--top=30]
//
// Writes the .cpuprofile to bench/results/profiles/ (open it in Chrome DevTools
// or speedscope for the full picture).
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createTestIssuer } from '@jwks-auth/testing';
import { FRAMEWORKS, startApp } from './lib/apps.js';
import { detectTool, runLoad } from './lib/load.js';
import { killAll } from './lib/proc.js';
import { mintParallel, signingKey, writeTokenFile } from './lib/tokens.js';
import { optionsFromArgv } from './lib/args.js';

const args = optionsFromArgv();
const appId = args.app ?? 'express-jwks-auth';
const scenario = args.scenario ?? 'cold-RS256';
const duration = Number(args.duration ?? 5);
const top = Number(args.top ?? 30);
const OUT = fileURLToPath(new URL('./results/profiles/', import.meta.url));
const AUDIENCE = 'https://api.example.test';

// Any bench/apps/<id>.js works; unknown ids are treated as auth apps.
const app = Object.values(FRAMEWORKS)
  .flat()
  .find((a) => a.id === appId) ?? { id: appId, kind: 'peer' };
const [temp, alg] = scenario === 'none' ? ['none', undefined] : scenario.split('-');

/** Top self-time functions of a .cpuprofile, idle excluded. */
export function summarize(profile, limit) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i += 1) {
    const { callFrame: f } = byId.get(profile.samples[i]);
    const dt = profile.timeDeltas[i] ?? 0;
    if (f.functionName === '(idle)') continue;
    busy += dt;
    const where = f.url
      ? ` ${f.url.replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '').replace(/^file:\/\/.*\/packages\//, '@jwks-auth/')}:${f.lineNumber + 1}`
      : '';
    const key = `${f.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, t]) => ({ pct: (100 * t) / busy, name }));
}

const issuer = await createTestIssuer({ algorithms: ['RS256', 'ES256'] });
try {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(OUT, { recursive: true });
  let tokensFile = '-';
  if (temp !== 'none') {
    const key = signingKey(issuer.keys.find((k) => k.alg === alg));
    const count = temp === 'hot' ? 100 : Number(args.pool ?? 50_000);
    const tokens = await mintParallel({
      key,
      issuer: issuer.issuer,
      audience: AUDIENCE,
      count,
      prefix: 'p',
    });
    tokensFile = await writeTokenFile(`${OUT}tokens.txt`, tokens);
  }
  const running = await startApp(
    app.id,
    { ISSUER: issuer.issuer, JWKS_URI: issuer.jwksUri, AUDIENCE },
    { cpu: 0, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${OUT}`] },
  );
  const tool = detectTool({ install: false });
  const url = `http://127.0.0.1:${running.port}/hello`;
  await runLoad({ tool, url, tokensFile, duration: 1, cpu: 1 }); // warm-up
  const r = await runLoad({ tool, url, tokensFile, duration, cpu: 1 });
  await running.stop();
  const file = (await readdir(OUT)).find((f) => f.endsWith('.cpuprofile'));
  console.log(
    `${app.id} ${scenario}: ${Math.round(r.rps)} req/s under the profiler; profile ${OUT}${file}`,
  );
  for (const { pct, name } of summarize(JSON.parse(await readFile(`${OUT}${file}`, 'utf8')), top)) {
    console.log(`${pct.toFixed(1).padStart(5)} %  ${name}`);
  }
} finally {
  killAll();
  await issuer.close();
}
