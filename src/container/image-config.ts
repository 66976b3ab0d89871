import { constants } from 'node:os';
import { posix } from 'node:path';
import { BurrowError } from '../errors.js';
import type { ExposedPort } from '../network/ports.js';
import type { ImageHealthcheck } from './health-config.js';

/**
 * An image's run-time settings (the `config` of its config blob) are data written
 * by whoever built the image: nothing in them is looked up, expanded or resolved on
 * the host. An Env entry without "=" would take the value of that variable from the
 * environment of `burrow run` (a CI runner's tokens and cloud keys): it is dropped,
 * as Docker does; only the caller's own `-e NAME` and `--env-file` read the caller's
 * environment. Every field burrow uses is checked for its type and for NUL bytes
 * (which the kernel would silently cut an argument or a path at) before the
 * container exists, and a bad one is named in a one-line error.
 */
export interface ImageRuntimeConfig {
  user: string | undefined;
  /** NAME=VALUE entries only. */
  env: string[];
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  /** Absolute, or undefined for "/". */
  workingDir: string | undefined;
  stopSignal: string | undefined;
  /** ExposedPorts (`80/tcp`, `53/udp`, ranges): what -P publishes. */
  exposedPorts: ExposedPort[];
  /** Healthcheck (Docker's JSON, checked), for container/health-config.ts to merge with the flags. */
  healthcheck: ImageHealthcheck | undefined;
  /** Shell (Dockerfile's SHELL): what runs a CMD-SHELL health check; undefined: Docker's `/bin/sh -c`. */
  shell: string[] | undefined;
  /** Volumes (Dockerfile's VOLUME), cleaned absolute paths: each gets an anonymous volume unless the run mounts something there. */
  volumes: string[];
}

function invalid(image: string, field: string, problem: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `image ${image} has an invalid config: ${field} ${problem} (the image is malformed: rebuild it, or use another)`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CONTROL = /[\0\n]/;

function checkText(image: string, field: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(image, field, `is ${value === null ? 'null' : typeof value}, not a string`);
  if (value.includes('\0')) throw invalid(image, field, 'holds a NUL byte');
  return value;
}

function stringList(image: string, field: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(image, field, `is ${typeof value}, not a list of strings`);
  return value.map((item, index) => checkText(image, `${field}[${index}]`, item));
}

function stringMap(image: string, field: string, value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw invalid(image, field, 'is not an object');
  for (const key of Object.keys(value)) checkText(image, `${field} key`, key);
  return value;
}

/** A signal by name (TERM, SIGTERM, sigterm, SIGRTMIN+3) or number (1..64), as Docker accepts them; undefined if it names none. */
export function parseSignal(text: string): number | undefined {
  if (/^\d+$/.test(text)) {
    const number = Number(text);
    return number >= 1 && number <= 64 ? number : undefined;
  }
  const name = text.toUpperCase().replace(/^SIG/, '');
  const realtime = /^RTM(IN|AX)([+-]\d+)?$/.exec(name);
  if (realtime !== null) {
    // Linux: SIGRTMIN is 34 (the C library keeps 32 and 33), SIGRTMAX 64.
    const number = (realtime[1] === 'IN' ? 34 : 64) + Number(realtime[2] ?? 0);
    return number >= 34 && number <= 64 ? number : undefined;
  }
  return (constants.signals as Record<string, number | undefined>)[`SIG${name}`];
}

const DURATIONS = ['Interval', 'Timeout', 'StartPeriod', 'StartInterval'];

function checkHealthcheck(image: string, value: unknown): ImageHealthcheck | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalid(image, 'Healthcheck', 'is not an object');
  const test = stringList(image, 'Healthcheck.Test', value.Test);
  if (test !== undefined && test.length > 0 && !['NONE', 'CMD', 'CMD-SHELL'].includes(test[0]!)) {
    throw invalid(image, 'Healthcheck.Test[0]', `is "${test[0]}", not NONE, CMD or CMD-SHELL`);
  }
  for (const key of [...DURATIONS, 'Retries']) {
    const field = value[key];
    if (field !== undefined && field !== null && !(typeof field === 'number' && Number.isSafeInteger(field) && field >= 0)) {
      throw invalid(image, `Healthcheck.${key}`, 'is not a whole number of at least 0');
    }
  }
  if (test !== undefined && (test[0] === 'CMD' || test[0] === 'CMD-SHELL') && test.length < 2) throw invalid(image, 'Healthcheck.Test', `holds ${test[0]} without a command`);
  return { ...(value as ImageHealthcheck), Test: test };
}

/** The checked run-time settings of an image config's `config` object. */
export function imageRuntimeConfig(config: unknown, image: string): ImageRuntimeConfig {
  if (config === undefined || config === null) return { user: undefined, env: [], entrypoint: undefined, cmd: undefined, workingDir: undefined, stopSignal: undefined, exposedPorts: [], healthcheck: undefined, shell: undefined, volumes: [] };
  if (!isRecord(config)) throw invalid(image, 'config', 'is not an object');

  const env = (stringList(image, 'Env', config.Env) ?? []).filter((entry, index) => {
    const at = entry.indexOf('=');
    // No "=": a name, whose value would come from the caller's environment. Never.
    if (at < 0) return false;
    if (at === 0) throw invalid(image, `Env[${index}]`, `("${entry}") has no variable name`);
    return true;
  });

  let user: string | undefined;
  if (config.User !== undefined && config.User !== null && config.User !== '') {
    user = checkText(image, 'User', config.User);
    if (CONTROL.test(user) || user.split(':').length > 2) throw invalid(image, 'User', `("${user}") is not user[:group]`);
  }

  let workingDir: string | undefined;
  if (config.WorkingDir !== undefined && config.WorkingDir !== null && config.WorkingDir !== '') {
    workingDir = checkText(image, 'WorkingDir', config.WorkingDir);
    // Entered by burrow-init inside the container's root, never on the host.
    if (!posix.isAbsolute(workingDir)) throw invalid(image, 'WorkingDir', `("${workingDir}") is not an absolute path`);
  }

  // Labels are checked though burrow does not use them (inspect shows them): an image is whole or refused.
  const volumes: string[] = [];
  for (const volume of Object.keys(stringMap(image, 'Volumes', config.Volumes))) {
    if (!posix.isAbsolute(volume)) throw invalid(image, 'Volumes', `names "${volume}", not an absolute path in the container`);
    // A mount target: resolved inside the container's root when mounted, never on the host; "/" would hide the whole image.
    const clean = posix.normalize(volume).replace(/(.)\/$/, '$1');
    if (CONTROL.test(volume) || clean === '/') throw invalid(image, 'Volumes', `names "${volume}", which cannot be a volume's mount point`);
    if (!volumes.includes(clean)) volumes.push(clean);
  }
  for (const [key, value] of Object.entries(stringMap(image, 'Labels', config.Labels))) checkText(image, `Labels["${key}"]`, value);

  let stopSignal: string | undefined;
  if (config.StopSignal !== undefined && config.StopSignal !== null && config.StopSignal !== '') {
    stopSignal = checkText(image, 'StopSignal', config.StopSignal);
    if (parseSignal(stopSignal) === undefined) throw invalid(image, 'StopSignal', `("${stopSignal}") is not a signal`);
  }

  const healthcheck = checkHealthcheck(image, config.Healthcheck);

  // An empty list is Docker's "not set"; a set one needs a program to run (burrow-init execs it in the container).
  let shell = stringList(image, 'Shell', config.Shell);
  if (shell !== undefined && shell.length === 0) shell = undefined;
  if (shell !== undefined && shell[0] === '') throw invalid(image, 'Shell[0]', 'is empty, not a program');

  // Keys as Docker writes them (nat.Port): PORT[-END][/tcp|udp|sctp]; sctp is kept out, neither helper carries it.
  const exposedPorts: ExposedPort[] = [];
  for (const key of Object.keys(stringMap(image, 'ExposedPorts', config.ExposedPorts))) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(key);
    const start = Number(match?.[1]);
    const end = match?.[2] === undefined ? start : Number(match[2]);
    if (match === null || start < 1 || end > 65535 || end < start) throw invalid(image, 'ExposedPorts', `names "${key}", not PORT[/tcp|udp]`);
    const protocol = (match[3] ?? 'tcp').toLowerCase();
    if (protocol === 'sctp') continue;
    for (let port = start; port <= end; port++) exposedPorts.push({ port, protocol: protocol as 'tcp' | 'udp' });
  }

  return {
    user,
    env,
    entrypoint: stringList(image, 'Entrypoint', config.Entrypoint),
    cmd: stringList(image, 'Cmd', config.Cmd),
    workingDir,
    stopSignal,
    exposedPorts,
    healthcheck,
    shell,
    volumes,
  };
}

/**
 * The caller's `-e` and `--env-file` entries: NAME=VALUE as given, and a bare NAME
 * takes the caller's value (or is left out when the caller has none), as Docker does.
 */
export function callerEnv(entries: readonly string[], environment: NodeJS.ProcessEnv = process.env): string[] {
  return entries.flatMap((entry) => {
    if (entry.includes('\0')) throw new BurrowError('INVALID_ARGUMENT', `invalid environment variable "${entry.replaceAll('\0', '\\0')}": it holds a NUL byte`);
    const at = entry.indexOf('=');
    if (at === 0 || entry === '') throw new BurrowError('INVALID_ARGUMENT', `invalid environment variable "${entry}": NAME=VALUE or NAME expected`);
    if (at > 0) return [entry];
    const value = environment[entry];
    return value === undefined ? [] : [`${entry}=${value}`];
  });
}
