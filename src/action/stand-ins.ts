/**
 * STAND-INS, to be deleted at merge. Issue 12's other parts are being built beside the
 * Action (notes/i12-interfaces.md): `runJob`/`loadJobFile` (src/job/, h-job) and
 * `reclaimOwnership` (src/userns/, h-keepid). The Action codes against their contracts;
 * these two keep it working until the real modules land, with the same signatures.
 *
 * - runJob here runs the steps of a job file one after another in its image, each in a
 *   fresh container (`sh -c`), with the file's env and workspace; it refuses `services:`
 *   (the real runJob starts them on the job's network and waits until they are healthy).
 * - reclaimOwnership here runs `find … -exec chown` as root of burrow's user namespace,
 *   the contract's effect without its accounting of what changed.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { runToEnd } from '../util/spawn.js';
import { idMapping, unshareArgs } from '../userns/idmap.js';
import { userNamespaceFailure } from '../userns/failure.js';
import { createContainer } from '../container/create.js';
import { removeContainerFiles, startForeground } from '../container/start.js';
import { pullImage } from '../copy/pull.js';
import type { BurrowConfig } from '../config/config.js';

// --- the contract of src/job/ (h-job) -------------------------------------------------

export interface JobStepDefinition {
  name?: string;
  run: string;
  env?: Record<string, string>;
  'working-directory'?: string;
  'continue-on-error'?: boolean;
}

export interface JobDefinition {
  image: string;
  env?: Record<string, string>;
  steps: JobStepDefinition[];
  services?: Record<string, unknown>;
}

export type JobPhase = 'pull' | 'services' | 'step' | 'teardown';

export type JobEvent =
  | { kind: 'phase-start'; phase: JobPhase; name: string }
  | { kind: 'phase-end'; phase: JobPhase; name: string; exitCode?: number; durationMs?: number }
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string }
  | { kind: 'note'; text: string };

export interface JobStepResult {
  name: string;
  exitCode: number;
  durationMs: number;
  outcome: 'success' | 'failure' | 'skipped' | 'continued';
}

export interface JobResult {
  exitCode: number;
  durationMs: number;
  imageDigest: string;
  steps: JobStepResult[];
  peaks?: { memoryBytes?: number; pids?: number };
}

export interface RunJobOptions {
  signal?: AbortSignal;
  workspace?: string;
  onEvent?: (event: JobEvent) => void;
  /** Stand-in only: the store's config for the pull, and labels for the containers it makes. */
  config?: BurrowConfig;
  labels?: Record<string, string>;
}

export function loadJobFile(path: string): JobDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BurrowError('INVALID_ARGUMENT', `cannot read job file ${path}: no such file or not readable`);
  }
  const job = parseYaml(text) as Partial<JobDefinition> | null;
  if (job === null || typeof job !== 'object' || typeof job.image !== 'string' || !Array.isArray(job.steps)) {
    throw new BurrowError('INVALID_ARGUMENT', `${path}: a job needs "image" and "steps"`);
  }
  return job as JobDefinition;
}

export async function runJob(store: Store, job: JobDefinition, options: RunJobOptions): Promise<JobResult> {
  if (job.services !== undefined) throw new BurrowError('INVALID_ARGUMENT', 'services need the jobs module (src/job/), not yet in this build');
  const began = Date.now();
  const emit = options.onEvent ?? (() => undefined);
  emit({ kind: 'phase-start', phase: 'pull', name: job.image });
  const pulled = await pullImage(job.image, { store, config: options.config, signal: options.signal });
  emit({ kind: 'phase-end', phase: 'pull', name: job.image });
  const steps: JobStepResult[] = [];
  let exitCode = 0;
  for (const [index, step] of job.steps.entries()) {
    const name = step.name ?? `step ${index + 1}`;
    if (exitCode !== 0) {
      steps.push({ name, exitCode: 0, durationMs: 0, outcome: 'skipped' });
      continue;
    }
    emit({ kind: 'phase-start', phase: 'step', name });
    const stepBegan = Date.now();
    const env = Object.entries({ ...job.env, ...step.env }).map(([key, value]) => `${key}=${value}`);
    const volumes = options.workspace === undefined ? [] : [{ kind: 'bind' as const, source: options.workspace, target: options.workspace, readOnly: false }];
    const record = await createContainer(store, {
      image: job.image, command: ['sh', '-c', step.run], env, workdir: step['working-directory'] ?? options.workspace, volumes,
      readOnly: false, init: false, interactive: false, tty: false, remove: true, capAdd: [], capDrop: [], labels: options.labels ?? {},
      signal: options.signal, onNote: (text) => emit({ kind: 'note', text }),
    });
    let code: number;
    try {
      code = await startForeground(store, record, { signal: options.signal, fresh: true, onNote: (text) => emit({ kind: 'note', text }) });
    } finally {
      await removeContainerFiles(store, record);
    }
    const durationMs = Date.now() - stepBegan;
    const continued = code !== 0 && step['continue-on-error'] === true;
    steps.push({ name, exitCode: code, durationMs, outcome: code === 0 ? 'success' : continued ? 'continued' : 'failure' });
    emit({ kind: 'phase-end', phase: 'step', name, exitCode: code, durationMs });
    if (code !== 0 && !continued) exitCode = code;
  }
  return { exitCode, durationMs: Date.now() - began, imageDigest: pulled.sourceDigest, steps };
}

// --- the contract of src/userns/ (h-keepid) --------------------------------------------

export async function reclaimOwnership(dir: string, options: { signal?: AbortSignal } = {}): Promise<{ changed: number }> {
  void options;
  const mapping = idMapping();
  if (mapping.single) return { changed: 0 }; // Only the caller is mapped: nothing can belong to anyone else.
  // As root of the namespace (the caller outside): subordinate ids become the caller's,
  // directories the caller's to write (so it can delete what they hold). -h, and find's
  // default of not following links: a link the job left is changed, never what it points at.
  const argv = [...unshareArgs(mapping), '--', 'find', dir, '-xdev', '(', '!', '-uid', '0', '-o', '!', '-gid', '0', ')', '-exec', 'chown', '-h', '0:0', '{}', '+',
    ',', '-type', 'd', '!', '-perm', '-u=rwx', '-exec', 'chmod', 'u+rwx', '{}', '+'];
  const result = await runToEnd('unshare', argv, { ownGroup: true });
  if (result.exitCode !== 0) throw new BurrowError('IO', `cannot give ${dir} back to its owner: ${userNamespaceFailure(result.stderr) ?? result.stderr.trim().split('\n')[0]}`);
  return { changed: -1 };
}
