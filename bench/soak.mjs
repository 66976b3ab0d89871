#!/usr/bin/env node
/**
 * Concurrency soak (issue 13, "Concurrency, measured"): N workers for T seconds,
 * each running burrow commands one after another on a shared set of containers
 * and images, as the user who runs this script (the unprivileged test user).
 *
 *   node bench/soak.mjs --registry HOST:PORT [--procs 8] [--seconds 60] [--seed S]
 *                       [--at-least N] [--root DIR] [--json FILE] [--keep]
 *
 * --at-least N: go on past T seconds until N commands have finished (a loaded machine
 * does few in a short run; a test needs enough of them, not a time).
 *
 * Each command's outcome is one of:
 * - done: exit 0;
 * - refused: exit 125 (run, create, start) or 1 (other commands) and a single stderr line `burrow: …` that matches one of the
 *   documented refusals below (the command lost a race with another one, and said so);
 * - error: anything else (a stack trace, "internal error", several lines, another exit
 *   status, a time-out, a refusal not in the list).
 * Then every container goes, and `system check` must pass with nothing left behind:
 * no process whose command line names the store or this run's tag (monitors, sandboxes,
 * jobs, network helpers), no mount under the store, no cgroup of a container of the run.
 * Prints a summary; `--json FILE` writes it as JSON. Exit status 0 only with no error and
 * nothing leaked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from './prng.mjs';

const BURROW = fileURLToPath(new URL('../bin/burrow.js', import.meta.url));

/**
 * The refusals a command may answer with when another command got there first. Each
 * is one documented line (src/: the BurrowError that says it); anything else is an error.
 */
export const REFUSALS = [
  ['no such container', /^no such container: \S+( \((removed by another burrow command|removed while waiting)\))?$/],
  ['no such object', /^no such object: \S+$/],
  ['container busy', /^container [0-9a-f]{12} is busy with another burrow command: try again$/],
  ['not running', /^container \S+ is not running(: start it first)?$/],
  // exec found the container running, and its process ended before the exec could join it.
  ['ended during exec', /^the container's process \d+ is gone: the container is not running$/],
  ['image in use', /^image \S+ is used by container \S+(, \S+)*: remove the container first, or use --force$/],
  ['no such image', /^no such image: \S+$/],
];

function parseArgs(argv) {
  const options = { procs: 8, seconds: 60, atLeast: 0, seed: Date.now() % 1_000_000, registry: undefined, root: undefined, json: undefined, keep: false };
  for (let i = 0; i < argv.length; i += 1) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--procs') options.procs = Number(value());
    else if (flag === '--seconds') options.seconds = Number(value());
    else if (flag === '--seed') options.seed = Number(value());
    else if (flag === '--at-least') options.atLeast = Number(value());
    else if (flag === '--registry') options.registry = value();
    else if (flag === '--root') options.root = value();
    else if (flag === '--json') options.json = value();
    else if (flag === '--keep') options.keep = true;
    else throw new Error(`unknown argument ${flag} (see the comment at the top of bench/soak.mjs)`);
  }
  if (options.registry === undefined) throw new Error('--registry HOST:PORT is needed (the test bed\'s anonymous registry, with busybox:latest and busybox:oci)');
  if (!(options.procs >= 1) || !(options.seconds > 0)) throw new Error('--procs and --seconds must be positive');
  return options;
}

const generator = mulberry32;

/** Runs one burrow command; resolves to its exit status and output. */
function burrow(env, args, timeoutMs = 90_000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BURROW, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => { stdout += chunk; });
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal === null ? -1 : 128), signal, stdout, stderr, timedOut });
    });
  });
}

/** done, refused (and which refusal) or error, as the header says. */
export function classify(result, okCodes = [0]) {
  const text = result.stderr.trim();
  const lines = text === '' ? [] : text.split('\n');
  const broken = /internal error|\n\s+at |Error: /.test(result.stderr);
  if (result.timedOut) return { kind: 'error', why: 'timed out' };
  if (okCodes.includes(result.code) && !broken) return { kind: 'done' };
  // Docker's codes: 125 for run, create and start's own errors, 1 for every other command's.
  if ((result.code === 125 || result.code === 1) && lines.length === 1 && lines[0].startsWith('burrow: ') && !broken) {
    const message = lines[0].slice('burrow: '.length);
    const refusal = REFUSALS.find(([, pattern]) => pattern.test(message));
    if (refusal !== undefined) return { kind: 'refused', refusal: refusal[0] };
  }
  return { kind: 'error', why: `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}` };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const random = generator(options.seed);
  const tag = `soak${options.seed.toString(36)}${process.pid.toString(36)}`;
  const work = mkdtempSync(join(tmpdir(), `burrow-${tag}-`));
  const root = options.root ?? join(work, 'store');
  const env = { ...process.env, BURROW_ROOT: root, HOME: process.env.HOME ?? work };
  delete env.BURROW_DEBUG;
  const images = [`${options.registry}/busybox:latest`, `${options.registry}/busybox:oci`];
  const job = `while :; do sleep 1; done # ${tag}`;
  const maxContainers = options.procs * 2;

  const counts = { done: 0, refused: 0, errors: 0 };
  const byOperation = {};
  const refusals = {};
  const errors = [];
  const created = new Set();
  /** Names of containers that may exist (any worker acts on any of them). */
  const pool = new Set();
  let serial = 0;

  const note = (operation, args, result, okCodes) => {
    const outcome = classify(result, okCodes);
    const entry = (byOperation[operation] ??= { done: 0, refused: 0, errors: 0 });
    if (outcome.kind === 'done') { counts.done += 1; entry.done += 1; }
    else if (outcome.kind === 'refused') { counts.refused += 1; entry.refused += 1; refusals[outcome.refusal] = (refusals[outcome.refusal] ?? 0) + 1; }
    else {
      counts.errors += 1;
      entry.errors += 1;
      errors.push({ command: `burrow ${args.join(' ')}`, why: outcome.why, stderr: result.stderr.slice(0, 2000) });
    }
    return outcome;
  };
  const act = async (operation, args, okCodes) => {
    const result = await burrow(env, args);
    return { result, outcome: note(operation, args, result, okCodes) };
  };
  const pick = () => {
    const names = [...pool];
    return names.length === 0 ? undefined : names[Math.floor(random() * names.length)];
  };
  const image = () => images[Math.floor(random() * images.length)];
  const remember = (id) => { if (/^[0-9a-f]{64}$/.test(id)) created.add(id); };

  for (const ref of images) {
    const result = await burrow(env, ['pull', '-q', ref]);
    if (result.code !== 0) throw new Error(`cannot pull ${ref}: ${result.stderr}`);
  }

  /** Each operation with its weight: what a busy CI job does, plus the races the issue names. */
  const operations = [
    [3, 'run --rm', async () => { await act('run --rm', ['run', '--rm', image(), 'true']); }],
    [3, 'run -d', async () => {
      if (pool.size >= maxContainers) return;
      const name = `${tag}-${(serial += 1)}`;
      pool.add(name);
      const { result } = await act('run -d', ['run', '-d', '--name', name, image(), 'sh', '-c', job]);
      remember(result.stdout.trim());
    }],
    [1, 'create', async () => {
      if (pool.size >= maxContainers) return;
      const name = `${tag}-${(serial += 1)}`;
      pool.add(name);
      const { result } = await act('create', ['create', '--name', name, image(), 'sh', '-c', job]);
      remember(result.stdout.trim());
    }],
    [2, 'start', async () => { const name = pick(); if (name !== undefined) await act('start', ['start', name]); }],
    [1, 'start ×2', async () => {
      // Two starts of one container at once: one monitor, both exit 0 (as `docker start` of a running container).
      const name = pick();
      if (name !== undefined) await Promise.all([act('start', ['start', name]), act('start', ['start', name])]);
    }],
    [3, 'exec', async () => { const name = pick(); if (name !== undefined) await act('exec', ['exec', name, 'true']); }],
    [2, 'stop', async () => { const name = pick(); if (name !== undefined) await act('stop', ['stop', '-t', '1', name]); }],
    [2, 'rm -f', async () => {
      const name = pick();
      if (name === undefined) return;
      const { outcome } = await act('rm -f', ['rm', '-f', name]);
      if (outcome.kind === 'done' || outcome.refusal === 'no such container') pool.delete(name);
    }],
    [1, 'logs', async () => { const name = pick(); if (name !== undefined) await act('logs', ['logs', name]); }],
    [1, 'ps', async () => { await act('ps', ['ps', '-a']); }],
    [1, 'inspect', async () => { const name = pick(); if (name !== undefined) await act('inspect', ['inspect', name]); }],
    [1, 'pull', async () => { await act('pull', ['pull', '-q', image()]); }],
    [1, 'rmi', async () => { await act('rmi', ['rmi', image()]); }],
    [1, 'system prune', async () => { await act('system prune', ['system', 'prune', '--force']); }],
  ];
  const total = operations.reduce((sum, [weight]) => sum + weight, 0);
  const choose = () => {
    let at = random() * total;
    for (const operation of operations) {
      at -= operation[0];
      if (at < 0) return operation;
    }
    return operations[operations.length - 1];
  };

  const started = Date.now();
  const deadline = started + options.seconds * 1000;
  const finished = () => counts.done + counts.refused + counts.errors;
  const worker = async () => {
    while (Date.now() < deadline || finished() < options.atLeast) await choose()[2]();
  };
  await Promise.all(Array.from({ length: options.procs }, worker));
  const elapsed = (Date.now() - started) / 1000;

  // Clean-up as a user would: every container of the run goes, then the store is checked.
  const listed = await burrow(env, ['ps', '-a', '-q', '--no-trunc']);
  const left = listed.stdout.split('\n').filter(Boolean);
  for (const id of left) remember(id);
  const cleanup = left.length === 0 ? undefined : await burrow(env, ['rm', '-f', ...left]);
  const check = await burrow(env, ['system', 'check']);
  const leaks = await leftovers(root, tag, [...created]);

  const summary = {
    date: new Date().toISOString(),
    procs: options.procs,
    seconds: Math.round(elapsed),
    seed: options.seed,
    operations: counts.done + counts.refused + counts.errors,
    done: counts.done,
    refused: counts.refused,
    errors: counts.errors,
    containers: created.size,
    refusals,
    byOperation,
    errorSamples: errors.slice(0, 20),
    cleanup: cleanup === undefined ? 'nothing left' : cleanup.code === 0 ? 'removed' : `rm -f failed: ${cleanup.stderr.trim()}`,
    check: { ok: check.code === 0 && /The store is consistent/.test(check.stdout), output: (check.stdout + check.stderr).trim() },
    leaks,
  };
  const ok = counts.errors === 0 && summary.check.ok && (cleanup === undefined || cleanup.code === 0) && leaks.length === 0;
  if (options.json !== undefined) writeFileSync(options.json, `${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `soak: ${options.procs} procs × ${summary.seconds} s (seed ${options.seed}): ${summary.operations} operations, ${counts.done} done, ${counts.refused} refused, ${counts.errors} errors; ` +
      `${created.size} containers; system check ${summary.check.ok ? 'passed' : 'FAILED'}; ${leaks.length} leftovers\n`,
  );
  for (const [name, count] of Object.entries(refusals)) process.stdout.write(`  refused (${name}): ${count}\n`);
  for (const error of errors.slice(0, 20)) process.stdout.write(`  error: ${error.command}: ${error.why}: ${error.stderr.trim().replace(/\n/g, '\n    ')}\n`);
  for (const leak of leaks) process.stdout.write(`  leftover: ${leak}\n`);
  if (!summary.check.ok) process.stdout.write(`  system check: ${summary.check.output}\n`);
  if (!options.keep && ok) rmSync(work, { recursive: true, force: true });
  else process.stdout.write(`  kept: ${work}\n`);
  process.exitCode = ok ? 0 : 1;
}

/**
 * What a removed container could leave behind, looked for from the host after a
 * grace of a few seconds (a monitor ends a moment after `rm -f` has killed its job):
 * processes whose command line names the store (monitors, launchers, network helpers)
 * or the run's tag (the jobs), mounts under the store, cgroups `burrow-<id12>`.
 */
async function leftovers(root, tag, ids) {
  const short = new Set(ids.map((id) => id.slice(0, 12)));
  let found = [];
  for (let attempt = 0; attempt < 50; attempt += 1) {
    found = [...processesOf(root, tag), ...mountsUnder(root), ...cgroupsOf(short)];
    if (found.length === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return found;
}

function processesOf(root, tag) {
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
    } catch {
      continue;
    }
    if (cmdline.includes(root) || cmdline.includes(tag)) found.push(`process ${entry}: ${cmdline.slice(0, 200)}`);
  }
  return found;
}

function mountsUnder(root) {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((line) => line.split(' ')[4]?.startsWith(root)).map((line) => `mount ${line.split(' ')[4]}`);
}

function cgroupsOf(short) {
  const found = [];
  const walk = (dir, depth) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name.startsWith('burrow-') && short.has(entry.name.slice('burrow-'.length))) found.push(`cgroup ${path}`);
      else if (depth < 8) walk(path, depth + 1);
    }
  };
  for (const hierarchy of readdirSync('/sys/fs/cgroup', { withFileTypes: true })) {
    // Symbolic links (cpu -> cpu,cpuacct) name hierarchies already walked.
    let isLink = false;
    try { readlinkSync(join('/sys/fs/cgroup', hierarchy.name)); isLink = true; } catch { /* a directory */ }
    if (!isLink) walk(join('/sys/fs/cgroup', hierarchy.name), 1);
  }
  return found;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
}
