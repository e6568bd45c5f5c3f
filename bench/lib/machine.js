// Machine description and CPU-noise sampling (Linux /proc; degrades to nulls elsewhere).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function machineInfo(tool, pinned) {
  const cpus = os.cpus();
  let affinity = null;
  const probe = spawnSync('taskset', ['-pc', String(process.pid)], { encoding: 'utf8' });
  if (probe.status === 0) affinity = probe.stdout.trim().split(':').pop().trim();
  return {
    date: new Date().toISOString(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    cpuMHz: cpus[0]?.speed ?? null,
    memGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    openssl: process.versions.openssl,
    v8: process.versions.v8,
    tool: `${tool.name} ${tool.version}`,
    pinned,
    runnerAffinity: affinity,
    loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const TICKS = 100; // USER_HZ on Linux

function readCpuTimes() {
  try {
    const lines = readFileSync('/proc/stat', 'utf8').split('\n');
    const out = {};
    for (const line of lines) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      const f = m[2].trim().split(/\s+/).map(Number);
      const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
      out[m[1]] = {
        busy: user + nice + system + irq + softirq,
        idle: idle + iowait,
        steal: steal ?? 0,
      };
    }
    return out;
  } catch {
    return null;
  }
}

function readProcTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]); // utime + stime
  } catch {
    return null;
  }
}

/**
 * Starts a noise sample: CPU busy per core and the app's own CPU time. The
 * returned function ends it and gives { appCpuPct, appCoreOtherPct,
 * loadCoreBusyPct, stealPct } over the interval (percent of one core).
 */
export function startNoiseSample(appPid, appCpu = 0, loadCpu = 1) {
  const t0 = process.hrtime.bigint();
  const c0 = readCpuTimes();
  const a0 = readProcTicks(appPid);
  return () => {
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const c1 = readCpuTimes();
    const a1 = readProcTicks(appPid);
    if (!c0 || !c1 || a0 === null || a1 === null || seconds <= 0) return null;
    const pct = (ticks) => Math.round((ticks / TICKS / seconds) * 1000) / 10;
    const app = a1 - a0;
    const coreBusy = (cpu) => (c1[cpu] && c0[cpu] ? c1[cpu].busy - c0[cpu].busy : NaN);
    const steal = Object.keys(c1).reduce((s, k) => s + (c1[k].steal - (c0[k]?.steal ?? 0)), 0);
    return {
      appCpuPct: pct(app),
      appCoreOtherPct: Math.max(0, pct(coreBusy(appCpu) - app)),
      loadCoreBusyPct: pct(coreBusy(loadCpu)),
      stealPct: pct(steal),
    };
  };
}
