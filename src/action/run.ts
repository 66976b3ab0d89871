/**
 * The Action's main step, once burrow's helpers are there (main.ts). Thin: inputs in,
 * the library called, the results out as outputs, log groups, a summary and
 * annotations. The `run` script goes to the container's `sh -c` as one argument; it
 * never meets a shell on the host. What post needs to clean up is in GITHUB_STATE
 * before it exists (state.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { BurrowError, EXIT_BURROW_ERROR } from '../errors.js';
import { loadConfig, type BurrowConfig } from '../config/config.js';
import { Store } from '../store/store.js';
import { defaultStoreRoot } from '../store/layout.js';
import { parseReference } from '../reference/reference.js';
import { pullImage } from '../copy/pull.js';
import { login } from '../registry/login.js';
import { createContainer, type MountRequest } from '../container/create.js';
import { startForeground } from '../container/start.js';
import { discardContainer } from '../container/run.js';
import { readRecord } from '../container/record.js';
import { killContainer } from '../container/ops.js';
import { sampleStats, statsRow } from '../container/stats.js';
import { randomBytes } from '../util/random.js';
import { readInputs, type ActionInputs } from './inputs.js';
import { parseRunOptions, runLimits } from './options.js';
import { ACTION_LABEL, saveActionState, type ActionState } from './state.js';
import { manifestDigestsOf, restoreBlobs, saveBlobs } from './cache.js';
import { formatDuration, writeSummary } from './summary.js';
// Stand-ins for src/job/ and src/userns/'s reclaimOwnership until they are merged (see there).
import { loadJobFile } from '../job/load.js';
import { runJob } from '../job/runner.js';
import type { JobDefinition, JobEvent, JobResult } from '../job/types.js';
import { reclaimOwnership } from '../userns/reclaim.js';

/** The CLI beside the bundle (dist/bin/burrow.js), or the checkout's: for `sudo burrow setup`. */
const CLI = fileURLToPath(new URL('../../bin/burrow.js', import.meta.url));

interface Outcome {
  image: string;
  manifestDigests: string[];
  result: JobResult;
}

interface Context {
  inputs: ActionInputs;
  store: Store;
  config: BurrowConfig;
  state: ActionState;
  signal: AbortSignal;
  /** The container running attached now, if any: a cancellation stops it (main's onSignal). */
  running: Running;
}

interface Running {
  store?: Store;
  id?: string | undefined;
}

/** The highest memory and process counts of a running container's cgroup, sampled twice a second. */
function watchPeaks(store: Store, id: string): () => { memoryBytes?: number; pids?: number } {
  let memoryBytes: number | undefined;
  let pids: number | undefined;
  const sample = (): void => {
    const record = readRecord(store, id);
    if (record === undefined) return;
    const row = statsRow(sampleStats(store, record));
    const memory = row.memoryPeakBytes ?? row.memoryBytes;
    if (memory !== undefined) memoryBytes = Math.max(memoryBytes ?? 0, memory);
    if (row.pids !== undefined) pids = Math.max(pids ?? 0, row.pids);
  };
  const timer = setInterval(sample, 500);
  timer.unref();
  return () => {
    sample();
    clearInterval(timer);
    return { ...(memoryBytes === undefined ? {} : { memoryBytes }), ...(pids === undefined ? {} : { pids }) };
  };
}

/** The first line of the script, as the step's name. */
function stepName(run: string | undefined): string {
  if (run === undefined) return "the image's command";
  const first = run.trim().split('\n')[0]!.trim();
  return first.length > 60 ? `${first.slice(0, 57)}...` : first;
}

async function runScript(context: Context): Promise<Outcome> {
  const { inputs, store, config, state, signal } = context;
  const image = inputs.image!;
  const settings = parseRunOptions(inputs.options);
  const { limits, limitMode } = runLimits(settings.limitFlags, { memory: inputs.memory, cpus: inputs.cpus, pidsLimit: inputs.pidsLimit }, settings.cgroups, settings.ignoreMissingLimits);
  const began = Date.now();
  const pulled = await core.group(`pull ${image}`, () => pullImage(image, { store, config, signal, onStatus: (line) => core.info(line) }));
  core.info(`${pulled.name}: ${pulled.upToDate ? 'up to date' : 'pulled'} (${pulled.sourceDigest})`);
  const workspace: MountRequest[] = inputs.workspace === undefined ? [] : [{ kind: 'bind', source: inputs.workspace, target: inputs.workspace, readOnly: false }];
  const { limitFlags: _flags, cgroups: _cgroups, ignoreMissingLimits: _ignore, ...runSettings } = settings;
  const record = await createContainer(store, {
    ...runSettings,
    claimStart: true,
    image: pulled.name,
    command: inputs.run === undefined ? [] : ['sh', '-c', inputs.run],
    env: [...inputs.env, ...(settings.env ?? [])],
    workdir: settings.workdir ?? inputs.workspace,
    network: inputs.network ?? settings.network,
    volumes: [...workspace, ...(settings.volumes ?? [])],
    readOnly: settings.readOnly ?? false,
    // burrow-init as PID 1 passes a cancelled job's SIGINT on to the script, which then
    // stops as a `run:` step on the runner would (a shell as PID 1 ignores it).
    init: true,
    interactive: false,
    tty: false,
    remove: true,
    capAdd: settings.capAdd ?? [],
    capDrop: settings.capDrop ?? [],
    labels: { ...settings.labels, [ACTION_LABEL]: state.token },
    limits,
    limitMode,
    signal,
    onNote: (line) => core.info(line),
  });
  state.containers.push(record.id);
  saveActionState(state);
  const name = stepName(inputs.run);
  const stepBegan = Date.now();
  const exitCode = await core.group(`run: ${name}`, async () => {
    const peaks = watchPeaks(store, record.id);
    context.running.store = store;
    context.running.id = record.id;
    try {
      return { code: await startForeground(store, record, { signal, fresh: true, onNote: (line) => core.info(line) }), peaks: peaks() };
    } finally {
      context.running.id = undefined;
      await discardContainer(store, record);
    }
  });
  const durationMs = Date.now() - stepBegan;
  return {
    image: pulled.name,
    manifestDigests: [pulled.manifestDigest],
    result: {
      exitCode: exitCode.code,
      durationMs: Date.now() - began,
      imageDigest: pulled.sourceDigest,
      steps: [{ name, exitCode: exitCode.code, durationMs, outcome: exitCode.code === 0 ? 'success' : 'failure' }],
      peaks: exitCode.peaks,
    },
  };
}

/** runJob's events as the runner shows them: a log group per phase, the job's output as it comes. */
function renderEvent(event: JobEvent): void {
  switch (event.kind) {
    case 'phase-start':
      core.startGroup(`${event.phase}${event.name === '' ? '' : `: ${event.name}`}`);
      break;
    case 'phase-end':
      core.endGroup();
      if (event.exitCode !== undefined && event.exitCode !== 0) core.info(`${event.name}: exit code ${event.exitCode}`);
      break;
    case 'output':
      (event.stream === 'stdout' ? process.stdout : process.stderr).write(event.text);
      break;
    case 'note':
      core.info(event.text);
      break;
  }
}

async function runJobFile(context: Context): Promise<Outcome> {
  const { inputs, store, state, signal } = context;
  const job = loadJobFile(inputs.jobFile!);
  const result = await runJob(store, job, {
    signal,
    ...(inputs.workspace === undefined ? {} : { workspace: inputs.workspace }),
    onEvent: renderEvent,
    labels: { [ACTION_LABEL]: state.token },
  });
  return { image: job.image, manifestDigests: manifestDigestsOf(store, jobImages(job)), result };
}

/** `sudo burrow setup`: the one step that needs root, asked for by the workflow (setup: true). */
async function runSetup(): Promise<void> {
  const code = await new Promise<number>((resolve) => {
    const child = spawn('sudo', ['-n', process.execPath, CLI, 'setup'], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', () => resolve(127));
    child.on('exit', (status) => resolve(status ?? 1));
  });
  if (code !== 0) throw new BurrowError('IO', `sudo burrow setup failed (exit code ${code}): the runner user needs password-less sudo for setup: true (GitHub-hosted runners have it)`);
}

/** The images a step will pull, for the cache key: the input's, or the job file's and its services'. */
function imagesOf(inputs: ActionInputs): string[] {
  if (inputs.image !== undefined) return [inputs.image];
  return jobImages(loadJobFile(inputs.jobFile!));
}

/** A job file's images: its own first (the registry a login is for), then its services' (cached with it). */
function jobImages(job: JobDefinition): string[] {
  return [...new Set([job.image, ...job.services.map((service) => service.image)])];
}

export async function main(began: number): Promise<number> {
  const controller = new AbortController();
  const running: Running = {};
  let interrupts = 0;
  // A cancelled job: SIGINT, SIGTERM 7.5 s later, the process tree killed 2.5 s after that.
  // While a container runs attached, the library passes both signals to its PID 1
  // (burrow-init, which passes them to the script): the script stops as a `run:` step
  // would, and what still runs 5 s later is killed, so this step ends with its outputs
  // and summary before the runner's SIGTERM. Any other phase (a pull, a job file's run,
  // which stops its own containers) is aborted at once.
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) core.warning(`burrow: ${signal}: stopping the job (the post step removes whatever is left)`);
    if (interrupts > 2) process.exit(130);
    const { store, id } = running;
    if (id !== undefined && store !== undefined && !controller.signal.aborted) {
      if (interrupts === 1) setTimeout(() => void killContainer(store, id, 'SIGKILL').catch(() => undefined), 5_000).unref();
      return;
    }
    controller.abort(new BurrowError('INTERRUPTED', `cancelled (${signal})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode = EXIT_BURROW_ERROR;
  let state: ActionState | undefined;
  let outcome: Outcome | undefined;
  try {
    const inputs = readInputs();
    const store = new Store(defaultStoreRoot());
    state = { root: store.root, token: `${process.env.GITHUB_RUN_ID ?? 'local'}-${randomBytes(6).toString('hex')}`, started: new Date().toISOString(), jobFile: inputs.jobFile !== undefined, containers: [], ...(inputs.workspace === undefined ? {} : { workspace: inputs.workspace }) };
    saveActionState(state);
    if (inputs.setup) await core.group('burrow setup (sudo)', runSetup);
    const config = loadConfig();
    const images = imagesOf(inputs);
    if (inputs.registry !== undefined) {
      const server = parseReference(images[0]!).domain;
      state.loggedIn = server;
      saveActionState(state);
      await core.group(`login ${server}`, async () => core.info(`credentials saved in ${await login(server, inputs.registry!, config, controller.signal)}`));
    }
    const restored = inputs.cache ? await core.group('cache: restore', () => restoreBlobs(store, images, (line) => core.info(line))) : undefined;
    const context: Context = { inputs, store, config, state, signal: controller.signal, running };
    outcome = inputs.jobFile === undefined ? await runScript(context) : await runJobFile(context);
    exitCode = outcome.result.exitCode;
    if (inputs.workspace !== undefined && existsSync(inputs.workspace)) {
      await core.group('workspace: give it back to the runner user', async () => {
        await reclaimOwnership(inputs.workspace!, { signal: controller.signal });
        core.info(`${inputs.workspace}: every file is the runner user's to remove`);
      });
    }
    // A cancelled step saves no cache: the runner is about to stop it.
    if (inputs.cache && interrupts === 0 && outcome.manifestDigests.length > 0) {
      const done = outcome;
      await core.group('cache: save', async () => {
        try {
          await saveBlobs(store, images, done.manifestDigests, restored, (line) => core.info(line));
        } catch (error) {
          core.warning(`cache: not saved: ${(error as Error).message}`);
        }
      });
    }
    for (const step of outcome.result.steps.filter((candidate) => candidate.outcome === 'failure' || candidate.outcome === 'continued')) {
      const text = `${step.name}: exit code ${step.exitCode}${step.outcome === 'continued' ? ' (continue-on-error)' : ''}`;
      if (step.outcome === 'failure') core.error(text, { title: 'Step failed' });
      else core.warning(text, { title: 'Step failed (continue-on-error)' });
    }
    for (const exit of outcome.result.serviceExits ?? []) {
      core.error(`${exit.container}: exit status ${exit.exitCode}; its last log lines: ${exit.lastLogLines}`, { title: `Service ${exit.service} exited during the steps` });
    }
  } catch (error) {
    const message = error instanceof BurrowError ? error.message : `internal error: ${(error as Error).stack ?? String(error)}`;
    core.error(message.replace(/\s*\n\s*/g, '; '), { title: 'burrow' });
    exitCode = error instanceof BurrowError ? error.exitCode : EXIT_BURROW_ERROR;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (state !== undefined) {
      state.finished = new Date().toISOString();
      saveActionState(state);
    }
  }
  const durationMs = Date.now() - began;
  core.setOutput('exit-code', String(exitCode));
  core.setOutput('duration', (durationMs / 1000).toFixed(3));
  core.setOutput('image-digest', outcome?.result.imageDigest ?? '');
  try {
    await writeSummary({
      image: outcome?.image ?? core.getInput('image'),
      digest: outcome?.result.imageDigest ?? '',
      exitCode,
      durationMs,
      steps: outcome?.result.steps ?? [],
      serviceExits: outcome?.result.serviceExits,
      peaks: outcome?.result.peaks,
    });
  } catch (error) {
    core.warning(`the job summary was not written: ${(error as Error).message}`);
  }
  core.info(`burrow: exit code ${exitCode} after ${formatDuration(durationMs)}`);
  return exitCode === 0 ? 0 : 1;
}

