// Child-process bookkeeping: every process the bench starts is registered here
// and killed (by pid, SIGKILL) when the runner exits, even on error or Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';

const children = new Set();
let hooked = false;

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + (os.constants.signals[signal] ?? 0));
    });
  }
}

/** Kills every child still registered (our own pids only). */
export function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  children.clear();
}

let tasksetChecked;
/** Whether CPU pinning with taskset is possible (taskset present and at least 2 CPUs). */
export function canPin() {
  if (tasksetChecked === undefined) {
    const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
    tasksetChecked = probe.status === 0 && os.availableParallelism() >= 2;
  }
  return tasksetChecked;
}

/**
 * Spawns `command args` pinned to `cpu` (taskset execs, so the pid is the real
 * process). `cpu` undefined or pinning unavailable: not pinned.
 */
export function spawnTracked(command, args, { cpu, ...options } = {}) {
  hookExit();
  const pinned = cpu !== undefined && canPin();
  const child = pinned
    ? spawn('taskset', ['-c', String(cpu), command, ...args], options)
    : spawn(command, args, options);
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.once('error', () => children.delete(child));
  child.pinned = pinned;
  return child;
}

/** Runs a tracked child to completion; resolves { code, stdout, stderr }. */
export function runTracked(command, args, { timeoutMs = 120_000, input, ...options } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid });
    });
    if (input !== undefined) child.stdin.end(input);
    else child.stdin.end();
  });
}

/** Stops a child: SIGTERM, then SIGKILL after `graceMs`. */
export function stopChild(child, graceMs = 1500) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
