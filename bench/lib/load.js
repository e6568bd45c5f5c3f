// Load generator wrapper: wrk (preferred) or autocannon, pinned to the load CPU.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runTracked } from './proc.js';

const LUA = fileURLToPath(new URL('./wrk-tokens.lua', import.meta.url));
const LUA_STATUS = fileURLToPath(new URL('./wrk-status.lua', import.meta.url));
const AUTOCANNON_CHILD = fileURLToPath(new URL('./autocannon-child.js', import.meta.url));

function wrkVersion() {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (probe.error) return undefined;
  const text = `${probe.stdout ?? ''}${probe.stderr ?? ''}`;
  const match = /wrk\s+(\S+)/.exec(text);
  return match ? match[1] : 'unknown';
}

/**
 * Picks the load generator. `prefer` 'wrk' | 'autocannon'. When wrk is
 * missing and `install` is true, tries `apt-get install -y wrk` (root,
 * Debian/Ubuntu); otherwise falls back to autocannon.
 */
export function detectTool({ prefer = 'wrk', install = true, log = console.log } = {}) {
  const autocannonVersion = (() => {
    try {
      return spawnSync(process.execPath, ['-p', "require('autocannon/package.json').version"], {
        encoding: 'utf8',
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      }).stdout.trim();
    } catch {
      return 'unknown';
    }
  })();
  const fallback = { name: 'autocannon', version: autocannonVersion };
  if (prefer === 'autocannon') return fallback;
  let version = wrkVersion();
  if (version === undefined && install) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
    if (isRoot && hasApt) {
      log('wrk not found: installing it with apt-get (Debian package "wrk")...');
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const update = spawnSync('apt-get', ['update', '-qq'], {
        stdio: 'ignore',
        env,
        timeout: 120_000,
      });
      if (update.status === 0) {
        spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], {
          stdio: 'ignore',
          env,
          timeout: 180_000,
        });
      }
      version = wrkVersion();
    }
    if (version === undefined)
      log('wrk unavailable (not root, no apt-get, or install failed): using autocannon');
  }
  return version === undefined ? fallback : { name: 'wrk', version };
}

/**
 * One load run. Resolves { requests, durationS, rps, latencyMs: {p50,p90,p99,p999,max,mean},
 * errors: { status, socket, timeout }, pid }.
 */
export async function runLoad({
  tool,
  url,
  tokensFile = '-',
  offset = 0,
  connections = 50,
  duration = 3,
  timeout = 10,
  cpu,
  countStatuses = false,
}) {
  const seconds = Math.max(1, Math.round(duration));
  let args;
  let command;
  if (tool.name === 'wrk') {
    command = 'wrk';
    args = [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      `--timeout`,
      `${timeout}s`,
      '-s',
      countStatuses ? LUA_STATUS : LUA,
      url,
      '--',
      tokensFile,
      String(offset),
    ];
  } else {
    command = process.execPath;
    args = [
      AUTOCANNON_CHILD,
      JSON.stringify({
        url,
        tokensFile,
        offset,
        connections,
        duration: seconds,
        timeout,
        countStatuses,
      }),
    ];
  }
  const result = await runTracked(command, args, {
    cpu,
    timeoutMs: (seconds + timeout + 60) * 1000,
  });
  const marker = tool.name === 'wrk' ? 'WRK_JSON ' : 'AC_JSON ';
  const line = result.stdout.split('\n').find((l) => l.startsWith(marker));
  if (result.code !== 0 || line === undefined) {
    throw new Error(
      `${tool.name} failed (exit ${result.code}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  const raw = JSON.parse(line.slice(marker.length));
  const durationS = raw.duration_us / 1e6;
  const l = raw.latency_us;
  return {
    requests: raw.requests,
    durationS,
    rps: raw.requests / durationS,
    latencyMs: {
      mean: l.mean / 1000,
      p50: l.p50 / 1000,
      p90: l.p90 / 1000,
      p99: l.p99 / 1000,
      p999: l.p999 / 1000,
      max: l.max / 1000,
    },
    errors: {
      status: raw.errors.status,
      socket: raw.errors.connect + raw.errors.read + raw.errors.write,
      timeout: raw.errors.timeout,
    },
    statuses: raw.statuses ?? {},
    pid: result.pid,
  };
}
