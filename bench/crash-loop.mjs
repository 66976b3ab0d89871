#!/usr/bin/env node
/**
 * The crash loop (issue 13, "Crash safety, measured"): kills burrow with SIGKILL, its
 * whole process group, at random moments of `pull`, `load`, `run` (while it unpacks,
 * while it starts, while the job runs, detached), `rm`, `rmi` and `system prune`, and
 * after each kill checks, from the host:
 *   - `burrow system check` passes;
 *   - the next command of the same kind succeeds;
 *   - once every container is removed (`rm -f`, which must succeed), no process of
 *     any container survives: this script is a child subreaper, so whatever burrow
 *     started (monitors, bubblewrap, jobs, pasta, fuse-overlayfs) is its descendant
 *     even when its parent was killed; none may be left alive, and no mount of the
 *     store may be left in any of their mount namespaces;
 *   - no cgroup of a removed container is left (`<id12>` or `burrow-<id12>` beside
 *     the cgroups the containers were given).
 * Prints `N kills, N clean, N corrupt` and, for each failure, the seed, the step, the
 * kind and the delay, which replay it: `--seed S --from-step N --kills 1`.
 * The moments come from a seeded PRNG (mulberry32): the same seed gives the same
 * kinds and delays (what the machine does in that time still varies).
 *
 * Runs as the unprivileged user, against a registry and an archive that hold the
 * test bed's images (test/bed/up.sh):
 *   node bench/crash-loop.mjs --kills 40 --seed 7 --registry 127.0.0.1:5100 \
 *     --archive /tmp/burrow-bed-USER/archives/busybox-docker.tar [--work DIR] [--json FILE]
 * bench/crash-loop.sh (root) brings up a bed and runs this as `burrowtest`.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './prng.mjs';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const BURROW = process.env.BURROW_BIN ?? join(HERE, '..', 'bin', 'burrow.js');
const KINDS = ['pull', 'load', 'run-unpack', 'run-start', 'run-job', 'run-detached', 'rm', 'rmi', 'prune'];

const { values: opts } = parseArgs({
  options: {
    kills: { type: 'string', default: '40' },
    seed: { type: 'string', default: String(Date.now() % 100000) },
    registry: { type: 'string' },
    archive: { type: 'string' },
    work: { type: 'string' },
    json: { type: 'string' },
    kinds: { type: 'string' },
    'from-step': { type: 'string', default: '1' },
    'delay-ms': { type: 'string' },
    'keep-going': { type: 'boolean', default: true },
    verbose: { type: 'boolean', default: false },
    big: { type: 'string', default: 'big:latest' },
  },
});

if (process.getuid?.() === 0) {
  console.error('crash-loop: run as the unprivileged user (bench/crash-loop.sh does, as root)');
  process.exit(2);
}
if (opts.registry === undefined || opts.archive === undefined) {
  console.error('crash-loop: --registry HOST:PORT and --archive FILE (a docker-archive of busybox:latest) are required');
  process.exit(2);
}

const KILLS = Number(opts.kills);
const SEED = Number(opts.seed) >>> 0;
const kinds = opts.kinds === undefined ? KINDS : opts.kinds.split(',');
for (const kind of kinds) if (!KINDS.includes(kind)) throw new Error(`unknown kind ${kind}: ${KINDS.join(', ')}`);

const SMALL = `${opts.registry}/busybox:latest`;
const MULTI = `${opts.registry}/multilayer:docker`;
// The image pulled and unpacked while killed: the bed's 12 MiB one by default (--big debian:latest for many files, slower).
const BIG = `${opts.registry}/${opts.big}`;
const LOADED = 'docker.io/library/busybox:latest';

const prng = mulberry32;

// ---------------------------------------------------------------- processes
const koffi = createRequire(import.meta.url)('koffi');
const libc = koffi.load('libc.so.6');
const prctl = libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
const waitpid = libc.func('int waitpid(int pid, void *status, int options)');
const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) !== 0) throw new Error('prctl(PR_SET_CHILD_SUBREAPER) failed');

/** Pids this script spawned (Node reaps those itself); orphans that ended are reaped here. */
const spawned = new Set();

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], ppid: Number(fields[1]), comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')) };
  } catch {
    return undefined;
  }
}

function allProcesses() {
  const result = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = stat(Number(name));
    if (info !== undefined) result.set(Number(name), info);
  }
  return result;
}

/** Orphans of killed processes were reparented to this subreaper: reap the ones that ended (never a child Node waits for). */
function reapOrphans() {
  for (const [pid, info] of allProcesses()) {
    if (info.ppid === process.pid && info.state === 'Z' && !spawned.has(pid)) waitpid(pid, null, WNOHANG);
  }
}

/** Live descendants of this script (every process burrow started, wherever its parent went). */
function descendants() {
  const all = allProcesses();
  const live = [];
  for (const [pid, info] of all) {
    if (info.state === 'Z' || info.state === 'X') continue;
    let parent = info.ppid;
    for (let depth = 0; parent > 1 && depth < 64; depth++) {
      if (parent === process.pid) {
        let cmdline = '';
        try {
          cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ').trim();
        } catch {
          // gone
        }
        live.push({ pid, comm: info.comm, cmdline: cmdline.slice(0, 160) });
        break;
      }
      parent = all.get(parent)?.ppid ?? 0;
    }
  }
  return live;
}

/** Mounts of the store seen from the mount namespaces of `pids`. */
function storeMounts(pids, storeRoot) {
  const seen = new Set();
  const found = [];
  for (const pid of pids) {
    let ns;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      continue;
    }
    if (seen.has(ns)) continue;
    seen.add(ns);
    try {
      for (const line of readFileSync(`/proc/${pid}/mountinfo`, 'latin1').split('\n')) if (line.includes(storeRoot)) found.push(`${pid}: ${line.split(' ')[4]}`);
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- burrow
let storeRoot = '';
let env = {};

/** Runs burrow; with `killAfterMs`, SIGKILLs its process group then. */
function burrow(args, { killAfterMs, timeoutMs = 180_000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [BURROW, ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    spawned.add(child.pid);
    let stdout = '';
    let stderr = '';
    let killed = false;
    let timedOut = false;
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    const killGroup = () => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    };
    const killer = killAfterMs === undefined ? undefined : setTimeout(() => { killed = child.exitCode === null && child.signalCode === null; killGroup(); }, killAfterMs);
    const timer = setTimeout(() => { timedOut = true; killGroup(); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killer !== undefined) clearTimeout(killer);
      spawned.delete(child.pid);
      resolve({ args, code, signal, stdout, stderr, ms: Date.now() - started, killed: killed && signal === 'SIGKILL', timedOut });
    });
  });
}

const show = (result) => `burrow ${result.args.join(' ')}: ${result.timedOut ? 'timed out' : result.signal !== null ? result.signal : `exit ${result.code}`}${result.stderr.trim() === '' ? '' : `: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`}`;

class StepFailure extends Error {}

async function must(args) {
  const result = await burrow(args);
  if (result.code !== 0) throw new StepFailure(show(result));
  return result;
}

/** A command whose only acceptable failure is "no such …" (removing what a kill may already have removed). */
async function mayBeMissing(args) {
  const result = await burrow(args);
  if (result.code !== 0 && !/no such (image|container)/.test(result.stderr)) throw new StepFailure(show(result));
  return result;
}

/** A listing's `--format json`: one object a line, as Docker's. */
const jsonLines = (stdout) => stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line));

async function containerNames() {
  const result = await must(['ps', '-a', '--format', 'json']);
  return jsonLines(result.stdout).map((container) => container.Names);
}

async function imageNames() {
  const result = await must(['images', '--format', 'json']);
  return jsonLines(result.stdout).map((image) => `${image.Repository}:${image.Tag}`);
}

/** The image is named in the store (read from index.json: the harness's shortcut), else pulled. */
async function ensureImage(name) {
  try {
    if (readFileSync(join(storeRoot, 'index.json'), 'utf8').includes(`"${name}"`)) return;
  } catch {
    // no store yet
  }
  await must(['pull', '-q', name]);
}

/** Container directories of the store (the harness's shortcut: `ps` only when there are some). */
function containerDirs() {
  try {
    return readdirSync(join(storeRoot, 'containers')).filter((name) => /^[0-9a-f]{64}$/.test(name));
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------- the kinds
/**
 * Each kind: `prepare` (unkilled, must succeed), `command` (killed), `next` (the next
 * command of the same kind: must succeed).
 */
const STEPS = {
  pull: {
    prepare: async () => { await mayBeMissing(['rmi', '-f', BIG]); },
    command: () => ['pull', '-q', BIG],
    next: async () => { await must(['pull', '-q', BIG]); },
  },
  load: {
    prepare: async () => { await mayBeMissing(['rmi', '-f', LOADED]); },
    command: () => ['load', '-q', '-i', opts.archive],
    next: async () => { await must(['load', '-q', '-i', opts.archive]); },
  },
  'run-unpack': {
    // Blobs in the store, no layer unpacked: the run unpacks, then starts.
    prepare: async () => { await mayBeMissing(['rmi', '-f', BIG]); await must(['pull', '-q', BIG]); },
    command: () => ['run', '--rm', '--network', 'none', BIG, 'true'],
    next: async () => { await must(['run', '--rm', '--network', 'none', BIG, 'true']); },
  },
  'run-start': {
    prepare: async () => { await ensureImage(SMALL); },
    command: (n) => ['run', '--name', `cl-${n}`, SMALL, 'true'],
    next: async (n) => { await must(['run', '--name', `cl-${n}-next`, SMALL, 'true']); },
  },
  'run-job': {
    prepare: async () => { await ensureImage(SMALL); },
    command: (n) => ['run', '--name', `cl-${n}`, SMALL, 'sh', '-c', 'i=0; while [ $i -lt 15 ]; do sleep 0.1; i=$((i+1)); done'],
    next: async (n) => { await must(['run', '--name', `cl-${n}-next`, SMALL, 'sh', '-c', 'sleep 0.2']); },
  },
  'run-detached': {
    prepare: async () => { await ensureImage(SMALL); },
    command: (n) => ['run', '-d', '--name', `cl-${n}`, SMALL, 'sleep', '1000'],
    next: async (n) => { await must(['run', '-d', '--name', `cl-${n}-next`, SMALL, 'sleep', '1000']); },
  },
  rm: {
    prepare: async (n) => { await ensureImage(SMALL); await must(['run', '-d', '--name', `cl-${n}`, SMALL, 'sleep', '1000']); },
    command: (n) => ['rm', '-f', `cl-${n}`],
    next: async (n) => {
      if ((await containerNames()).includes(`cl-${n}`)) await must(['rm', '-f', `cl-${n}`]);
      await must(['run', '-d', '--name', `cl-${n}-next`, SMALL, 'sleep', '1000']);
      await must(['rm', '-f', `cl-${n}-next`]);
    },
  },
  rmi: {
    prepare: async () => { await must(['pull', '-q', MULTI]); await must(['run', '--rm', '--network', 'none', MULTI, 'true']); },
    command: () => ['rmi', MULTI],
    next: async () => {
      if ((await imageNames()).includes(MULTI)) await must(['rmi', MULTI]);
      await must(['pull', '-q', MULTI]);
      await must(['rmi', MULTI]);
    },
  },
  prune: {
    prepare: async () => {
      await must(['pull', '-q', MULTI]);
      await must(['run', '--rm', '--network', 'none', MULTI, 'true']);
      await ensureImage(SMALL);
    },
    command: () => ['system', 'prune', '-a', '-f'],
    next: async () => { await must(['system', 'prune', '-a', '-f']); },
  },
};

// ---------------------------------------------------------------- checks
/** Container ids ever seen in the store, and the cgroup parents their records named. */
const seenIds = new Set();
const cgroupParents = new Set();

function scanContainers() {
  const dir = join(storeRoot, 'containers');
  if (!existsSync(dir)) return [];
  const ids = [];
  for (const name of readdirSync(dir)) {
    const id = /[0-9a-f]{64}/.exec(name)?.[0];
    if (id === undefined) continue;
    ids.push(id);
    seenIds.add(id);
    try {
      const record = JSON.parse(readFileSync(join(dir, name, 'container.json'), 'utf8'));
      const dirs = record.cgroup?.dirs;
      for (const path of [dirs?.v2, ...Object.values(dirs?.v1 ?? {})]) if (typeof path === 'string') cgroupParents.add(dirname(path));
    } catch {
      // no record (yet)
    }
  }
  return ids;
}

function leftoverCgroups(liveIds) {
  const live = new Set(liveIds.map((id) => id.slice(0, 12)));
  const left = [];
  for (const parent of cgroupParents) {
    let children = [];
    try {
      children = readdirSync(parent);
    } catch {
      continue;
    }
    for (const name of children) {
      const id12 = /^(?:burrow-)?([0-9a-f]{12})$/.exec(name)?.[1];
      if (id12 === undefined || live.has(id12)) continue;
      if ([...seenIds].some((id) => id.startsWith(id12))) left.push(join(parent, name));
    }
  }
  return left;
}

async function systemCheck() {
  const result = await burrow(['system', 'check', '--format', 'json']);
  if (result.code === 0) return undefined;
  try {
    const report = JSON.parse(result.stdout);
    return `system check: ${report.problems.map((p) => `${p.kind} ${p.subject}: ${p.detail}`).join('; ')}`;
  } catch {
    return show(result);
  }
}

/** Removes every container; then nothing burrow started may be alive, and no cgroup of theirs left. */
async function cleanAndCheckLeaks() {
  scanContainers();
  const ids = containerDirs().length === 0 ? [] : (await must(['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await must(['rm', '-f', ...ids]);
  const problems = [];
  // A process killed a moment ago may still be on its way out: give it a little time.
  let left = [];
  for (let tries = 0; tries < 50; tries++) {
    reapOrphans();
    left = descendants();
    if (left.length === 0) break;
    await sleep(100);
  }
  if (left.length > 0) {
    problems.push(`processes left: ${left.map((p) => `${p.pid} ${p.comm} [${p.cmdline}]`).join('; ')}`);
    const mounts = storeMounts(left.map((p) => p.pid), storeRoot);
    if (mounts.length > 0) problems.push(`mounts of the store left: ${mounts.join('; ')}`);
    // Reported once: ended here (they are this script's, by pid), so the next step starts clean.
    for (const { pid } of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  const cgroups = leftoverCgroups(scanContainers());
  if (cgroups.length > 0) {
    problems.push(`cgroups left: ${cgroups.join(', ')}`);
    for (const dir of cgroups) {
      try {
        rmdirSync(dir);
      } catch {
        // populated, or not ours
      }
    }
  }
  const hostMounts = readFileSync('/proc/self/mountinfo', 'latin1').split('\n').filter((line) => line.includes(storeRoot));
  if (hostMounts.length > 0) problems.push(`mounts of the store on the host: ${hostMounts.join('; ')}`);
  return problems;
}

// ---------------------------------------------------------------- the loop
async function main() {
  const work = opts.work ?? mkdtempSync(join(tmpdir(), 'burrow-crash-'));
  mkdirSync(work, { recursive: true });
  storeRoot = join(work, 'store');
  const home = join(work, 'home');
  mkdirSync(home, { recursive: true });
  writeFileSync(join(work, 'config.json'), '{}');
  env = { ...process.env, HOME: home, BURROW_ROOT: storeRoot, BURROW_CONFIG: join(work, 'config.json'), DOCKER_CONFIG: join(home, '.docker') };
  delete env.BURROW_TRACE;

  const random = prng(SEED);
  const log = (line) => { if (opts.verbose) console.log(line); };
  const report = { seed: SEED, kills: 0, clean: 0, corrupt: 0, notLanded: 0, failures: [], byKind: {}, startedAt: new Date().toISOString() };

  // How long each command takes unkilled: the delays are drawn over that span (and a little past it).
  const span = {};
  for (const kind of kinds) {
    const step = STEPS[kind];
    await step.prepare(0);
    const result = await must(step.command(0));
    span[kind] = result.ms;
    await cleanAndCheckLeaks();
    log(`calibrated ${kind}: ${result.ms} ms`);
  }

  const fromStep = Number(opts['from-step']);
  let step = 0;
  while (report.kills < KILLS && step < fromStep + KILLS * 2) {
    step++;
    // Two draws for every step, so that --from-step N replays step N of the same seed.
    const kind = kinds[Math.floor(random() * kinds.length)];
    const fraction = random();
    if (step < fromStep) continue;
    // A command that ends before its kill is run again with a new moment (up to 5 times), drawn
    // from a sequence of this step's own: the step's kind still gets its kill.
    const retry = prng((SEED ^ Math.imul(step, 0x9e3779b1)) >>> 0);
    const stats = (report.byKind[kind] ??= { kills: 0, corrupt: 0, notLanded: 0 });
    let killed;
    let delay = 0;
    let where = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      const drawn = attempt === 0 ? fraction : retry();
      delay = opts['delay-ms'] !== undefined ? Number(opts['delay-ms']) : Math.round(drawn * span[kind] * 1.1);
      where = `seed ${SEED} step ${step} ${kind} kill after ${delay} ms`;
      try {
        await STEPS[kind].prepare(step);
      } catch (error) {
        // Damage from an earlier step that only shows now.
        report.failures.push({ seed: SEED, step, kind, delay, phase: 'prepare', why: error.message });
        report.corrupt++;
        stats.corrupt++;
        console.log(`CORRUPT ${where}: preparing: ${error.message}`);
        await cleanAndCheckLeaks().catch(() => undefined);
        killed = undefined;
        break;
      }
      scanContainers();
      killed = await burrow(STEPS[kind].command(step), { killAfterMs: delay });
      if (killed.killed) break;
      // It ended before the kill: a shorter span from now on, and no kill to count.
      report.notLanded++;
      stats.notLanded++;
      span[kind] = Math.max(20, Math.min(span[kind], killed.ms));
      if (killed.code !== 0 && killed.signal === null) {
        report.failures.push({ seed: SEED, step, kind, delay, phase: 'unkilled command', why: show(killed) });
        report.corrupt++;
        stats.corrupt++;
        console.log(`CORRUPT ${where}: the command failed unkilled: ${show(killed)}`);
      }
      await cleanAndCheckLeaks().catch(() => undefined);
      killed = undefined;
    }
    if (killed === undefined) continue;
    report.kills++;
    stats.kills++;
    const problems = [];
    const damage = await systemCheck();
    if (damage !== undefined) problems.push(damage);
    try {
      await STEPS[kind].next(step);
    } catch (error) {
      problems.push(`next ${kind}: ${error.message}`);
    }
    try {
      problems.push(...(await cleanAndCheckLeaks()));
    } catch (error) {
      problems.push(`removing the containers: ${error.message}`);
    }
    if (problems.length === 0) {
      report.clean++;
      log(`clean   ${where}`);
    } else {
      report.corrupt++;
      stats.corrupt++;
      report.failures.push({ seed: SEED, step, kind, delay, phase: 'after kill', why: problems.join(' // ') });
      console.log(`CORRUPT ${where}: ${problems.join(' // ')}`);
    }
    if (step % 25 === 0) console.log(`… ${report.kills} kills, ${report.clean} clean, ${report.corrupt} corrupt (step ${step})`);
  }
  // Whatever the last kill did, the store ends consistent.
  const last = await systemCheck();
  if (last !== undefined) {
    report.corrupt++;
    report.failures.push({ seed: SEED, step, kind: 'end', delay: 0, phase: 'final check', why: last });
  }
  report.finishedAt = new Date().toISOString();
  report.spansMs = span;
  console.log(`${report.kills} kills, ${report.clean} clean, ${report.corrupt} corrupt`);
  for (const failure of report.failures) console.log(`  failure: seed ${failure.seed} step ${failure.step} ${failure.kind} after ${failure.delay} ms (${failure.phase}): ${failure.why}`);
  if (opts.json !== undefined) writeFileSync(opts.json, JSON.stringify(report, null, 2));
  if (opts.work === undefined) {
    await burrow(['system', 'prune', '-a', '-f']);
    try {
      rmSync(work, { recursive: true, force: true });
    } catch {
      // Files of subordinate ids a failure left: the report names the work directory.
    }
  }
  return report.corrupt === 0 && report.kills > 0 ? 0 : 1;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`crash-loop: ${error.stack ?? error}`);
  process.exit(2);
});
