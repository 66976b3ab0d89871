/**
 * Job files: YAML (or JSON, which YAML 1.2 reads as well) into a JobDefinition.
 * The document is checked against schemas/job.schema.json, then the values the
 * schema cannot judge (durations, ports, volumes, limits, `run` or `command`) are
 * parsed by the library's own parsers. Every error is one line naming the file,
 * the line and the field: `job.yml:7: field "steps[1].timout" is not a job file
 * field`. The line comes from the YAML node at the path ajv reports, through
 * yaml's LineCounter, so JSON files get lines too.
 */
import { parseDuration as parseGoDuration } from '../container/health-config.js';
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { BurrowError } from '../errors.js';
import type { MountRequest } from '../container/create.js';
import { parseLimits, type LimitFlags } from '../container/limits.js';
import { parsePublish } from '../network/ports.js';
import type { PortMapping } from '../network/types.js';
import { SchemaSet } from '../util/schema.js';
import type { Limits } from '../cgroup/index.js';
import type { JobDefinition, JobHealthCheck, ServiceDefinition, StepDefinition } from './types.js';

const schemas = new SchemaSet('job', ['job'] as const);

/** A job file as JSON.parse would give it, once the schema has passed. */
type Env = Record<string, string | number | boolean>;
interface RawHealth { test?: string | string[]; interval?: number | string; timeout?: number | string; retries?: number; 'start-period'?: number | string; disable?: boolean }
interface RawService { image: string; env?: Env; ports?: Array<string | number>; command?: string[]; entrypoint?: string[]; replicas?: number; user?: string | number; volumes?: string[]; healthcheck?: RawHealth }
interface RawStep { name?: string; run?: string; command?: string[]; env?: Env; 'working-directory'?: string; 'continue-on-error'?: boolean; timeout?: number | string }
interface RawJob {
  name?: string;
  image: string;
  env?: Env;
  volumes?: string[];
  workspace?: string;
  user?: string | number;
  memory?: string | number;
  cpus?: string | number;
  'pids-limit'?: number;
  network?: string;
  services?: Record<string, RawService>;
  steps: RawStep[];
}

/** Where things are in the document: a path of keys and indexes to a line. */
class Locator {
  constructor(private readonly contents: unknown, private readonly lines: LineCounter) {}

  /** The 1-based line of the value at `path` (of its key with `key`), or of the nearest ancestor found. */
  line(path: Array<string | number>, key = false): number {
    let node: unknown = this.contents;
    let found: { range?: [number, number, number] | null | undefined } | undefined = node as YamlNode;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item: Pair) => isScalar(item.key) && String(item.key.value) === String(segment));
        if (pair === undefined) break;
        if (key && i === path.length - 1) {
          found = pair.key as YamlNode;
          break;
        }
        next = pair.value ?? pair.key;
      } else if (isSeq(node)) {
        next = node.items[Number(segment)];
      } else if (isPair(node)) {
        next = node.value;
      }
      if (next === undefined || next === null) break;
      node = next;
      found = next as YamlNode;
    }
    const offset = found?.range?.[0] ?? 0;
    return this.lines.linePos(offset).line;
  }
}

/** One line, `FILE:LINE: message`, as compilers say it. */
function fileError(file: string, line: number, message: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `${file}:${line}: ${message}`);
}

/** A field's name in the document's own spelling: `steps[1].timeout`. */
function fieldName(path: Array<string | number>): string {
  return path.map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`)).join('');
}

/**
 * Seconds (a number, as GitHub's and compose's plain numbers), or Go's duration
 * syntax as Docker and compose write it (`90s`, `1m30s`, `500ms`, read by the
 * health flags' own parser): milliseconds.
 */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === 'number') return value >= 0 && Number.isFinite(value) ? Math.round(value * 1000) : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const ms = parseGoDuration(text);
  return ms === undefined ? undefined : Math.round(ms);
}

function envList(env: Env | undefined): string[] {
  return Object.entries(env ?? {}).map(([name, value]) => `${name}=${String(value)}`);
}

/**
 * `SOURCE:TARGET[:ro|rw]` as compose writes it: SOURCE a path (relative ones from
 * the job file's directory, as compose resolves them) or a named volume.
 */
function parseVolume(spec: string, base: string): MountRequest | string {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') return 'expected SOURCE:TARGET[:ro|rw]';
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!target.startsWith('/')) return 'the container path must be absolute';
  if (mode !== undefined && mode !== 'ro' && mode !== 'rw') return 'the mode must be ro or rw';
  const readOnly = mode === 'ro';
  if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~')) {
    if (source.startsWith('~')) return 'write the host path out (no ~)';
    return { kind: 'bind', source: isAbsolute(source) ? source : resolve(base, source), target, readOnly };
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) return `"${source}" is neither a path nor a volume name`;
  return { kind: 'volume', name: source, target, readOnly };
}

/** Parses a job file's text; `file` names it in errors, relative paths in it are from its directory. */
export function parseJobText(text: string, file: string): JobDefinition {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const syntax = document.errors[0];
  if (syntax !== undefined) {
    const line = syntax.linePos?.[0].line ?? 1;
    const message = syntax.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw fileError(file, line, `not valid YAML: ${message}`);
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  const at = new Locator(document.contents, lines);
  if (value === null || value === undefined) throw fileError(file, 1, 'the job file is empty: it needs at least "image" and "steps"');
  const problem = schemas.locate('job', value, 'job file');
  if (problem !== undefined) {
    const path = problem.path.map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
    throw fileError(file, at.line(path, problem.key), problem.message);
  }
  return buildJob(value as RawJob, file, at);
}

function buildJob(raw: RawJob, file: string, at: Locator): JobDefinition {
  const base = dirname(resolve(file));
  const fail = (path: Array<string | number>, message: string): never => {
    throw fileError(file, at.line(path), `field "${fieldName(path)}" ${message}`);
  };
  const duration = (path: Array<string | number>, value: number | string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) fail(path, `is not a duration: give seconds (90) or a duration such as 90s, 1m30s, 500ms`);
    return ms;
  };
  const volumes = (path: Array<string | number>, specs: string[] | undefined): MountRequest[] => (specs ?? []).map((spec, index) => {
    const parsed = parseVolume(spec, base);
    if (typeof parsed === 'string') fail([...path, index], `is not a volume ("${spec}"): ${parsed}`);
    return parsed as MountRequest;
  });
  const guarded = <T>(path: Array<string | number>, parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      if (error instanceof BurrowError) fail(path, `is invalid: ${error.message}`);
      throw error;
    }
  };

  const limitFields: Array<[keyof RawJob, keyof LimitFlags]> = [['memory', 'memory'], ['cpus', 'cpus'], ['pids-limit', 'pidsLimit']];
  const flags: LimitFlags = {};
  for (const [field, flag] of limitFields) {
    const given = raw[field];
    if (given === undefined) continue;
    flags[flag] = String(given);
    guarded([field], () => parseLimits({ [flag]: String(given) }));
  }
  const limits: Limits = guarded(['memory'], () => parseLimits(flags));

  const steps: StepDefinition[] = raw.steps.map((step, index) => {
    const path = ['steps', index];
    if ((step.run === undefined) === (step.command === undefined)) fail(path, 'needs one of "run" (a script for sh) or "command" (argv), not both');
    if (step.run !== undefined && step.run.trim() === '') fail([...path, 'run'], 'is empty');
    if (step['working-directory'] !== undefined && !step['working-directory'].startsWith('/')) fail([...path, 'working-directory'], 'must be an absolute path in the container');
    const argv = step.run !== undefined ? ['sh', '-e', '-c', step.run] : step.command!;
    const shown = step.run !== undefined ? step.run.trim().split('\n')[0]! : step.command!.join(' ');
    return {
      name: step.name ?? `Run ${shown}`,
      argv,
      env: envList(step.env),
      workingDirectory: step['working-directory'],
      continueOnError: step['continue-on-error'] === true,
      timeoutMs: duration([...path, 'timeout'], step.timeout),
      line: at.line(path),
    };
  });

  const services: ServiceDefinition[] = Object.entries(raw.services ?? {}).map(([name, service]) => {
    const path = ['services', name];
    const ports: PortMapping[] = (service.ports ?? []).flatMap((port, index) => guarded([...path, 'ports', index], () => parsePublish(String(port))));
    return {
      name,
      image: service.image,
      env: envList(service.env),
      ports,
      command: service.command ?? [],
      entrypoint: service.entrypoint,
      replicas: service.replicas ?? 1,
      user: service.user === undefined ? undefined : String(service.user),
      volumes: volumes([...path, 'volumes'], service.volumes),
      healthcheck: service.healthcheck === undefined ? undefined : healthCheck(service.healthcheck, [...path, 'healthcheck'], fail, duration),
    };
  });

  const workspace = raw.workspace === undefined ? undefined : resolve(base, raw.workspace);
  if (workspace !== undefined && workspace === '/') fail(['workspace'], 'cannot be /: give the directory the job works in');
  return {
    file,
    name: raw.name ?? basename(file).replace(/\.(ya?ml|json)$/i, ''),
    image: raw.image,
    env: envList(raw.env),
    volumes: volumes(['volumes'], raw.volumes),
    workspace,
    user: raw.user === undefined ? undefined : String(raw.user),
    limits,
    network: raw.network,
    services,
    steps,
  };
}

/** compose's `healthcheck:` (a string test is CMD-SHELL; `disable: true` or `["NONE"]` turns the image's off). */
function healthCheck(
  raw: RawHealth,
  path: Array<string | number>,
  fail: (path: Array<string | number>, message: string) => never,
  duration: (path: Array<string | number>, value: number | string | undefined) => number | undefined,
): Partial<JobHealthCheck> | 'none' {
  if (raw.disable === true) return 'none';
  let test: string[] | undefined;
  if (typeof raw.test === 'string') test = ['CMD-SHELL', raw.test];
  else if (raw.test !== undefined) {
    const [kind, ...rest] = raw.test;
    if (kind === 'NONE') return 'none';
    if ((kind !== 'CMD' && kind !== 'CMD-SHELL') || rest.length === 0) fail([...path, 'test'], 'must be a shell command, or ["CMD", ...argv], ["CMD-SHELL", "script"] or ["NONE"]');
    if (kind === 'CMD-SHELL' && rest.length !== 1) fail([...path, 'test'], 'takes one script after "CMD-SHELL"');
    test = raw.test;
  }
  const interval = duration([...path, 'interval'], raw.interval);
  const timeout = duration([...path, 'timeout'], raw.timeout);
  const startPeriod = duration([...path, 'start-period'], raw['start-period']);
  // Docker: an interval or timeout of 0 means "the default"; below 1 ms it refuses them.
  if (interval !== undefined && interval !== 0 && interval < 1) fail([...path, 'interval'], 'must be at least 1ms');
  if (timeout !== undefined && timeout !== 0 && timeout < 1) fail([...path, 'timeout'], 'must be at least 1ms');
  return {
    ...(test === undefined ? {} : { test }),
    ...(interval === undefined || interval === 0 ? {} : { intervalMs: interval }),
    ...(timeout === undefined || timeout === 0 ? {} : { timeoutMs: timeout }),
    ...(raw.retries === undefined ? {} : { retries: raw.retries }),
    ...(startPeriod === undefined ? {} : { startPeriodMs: startPeriod }),
  };
}

/** `loadJobFile(path)`: reads and checks a job file (YAML or JSON). */
export function loadJobFile(path: string): JobDefinition {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BurrowError('INVALID_ARGUMENT', `cannot read the job file ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}`);
  }
  return parseJobText(text, path);
}
