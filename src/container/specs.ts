import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BurrowError } from '../errors.js';
import type { MountRequest } from './create.js';
import { parseSignal } from './image-config.js';
import { sizeInBytes } from './limits.js';
import { ULIMIT_RESOURCES } from '../sandbox/init-args.js';

/**
 * Docker's spellings of values that `run`, `create`, `stop` and `restart` take as
 * text (the CLI's flags, an Action's inputs, a job file), parsed into the library's
 * options. Each error names the value and the spelling expected.
 */

/**
 * `-v host:container[:MODES]`, `-v NAME:container[:MODES]` and `-v /container` (an
 * anonymous volume: a new volume of its own, removed with the container by `rm -v`
 * and `--rm`). MODES is Docker's comma list: ro or rw, nocopy (a volume gets no copy
 * of the image's files), and z or Z (SELinux
 * relabelling; this host has no SELinux, so they are accepted and change nothing,
 * as on Docker without SELinux).
 */
export function parseVolume(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length === 1 && spec.startsWith('/')) return { kind: 'volume', name: '', anonymous: true, target: spec, readOnly: false };
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": expected /host/path:/container/path[:ro], NAME:/container/path or /container/path`);
  }
  const [source, target, modes] = parts as [string, string, string | undefined];
  const modeList = modes === undefined ? [] : modes.split(',');
  for (const mode of modeList) {
    if (!['ro', 'rw', 'z', 'Z', 'nocopy'].includes(mode)) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": mode "${mode}" is not one of ro, rw, z, Z, nocopy`);
  }
  if (modeList.includes('ro') && modeList.includes('rw')) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": ro and rw exclude each other`);
  const readOnly = modeList.includes('ro');
  if (!target.startsWith('/')) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": the container path must be absolute`);
  if (!source.startsWith('/') && !source.startsWith('.')) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": "${source}" is neither a path nor a volume name`);
    return { kind: 'volume', name: source, target, readOnly, ...(modeList.includes('nocopy') ? { noCopy: true } : {}) };
  }
  if (modeList.includes('nocopy')) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": nocopy is for a volume, not a host path`);
  return { kind: 'bind', source: resolve(source), target, readOnly };
}

/** `--mount type=bind,source=…,target=…[,readonly]` and `type=tmpfs,target=…[,tmpfs-size=…]` */
export function parseMount(spec: string): MountRequest {
  const fields = new Map<string, string>();
  for (const part of spec.split(',')) {
    const at = part.indexOf('=');
    fields.set(at < 0 ? part : part.slice(0, at), at < 0 ? 'true' : part.slice(at + 1));
  }
  const target = fields.get('target') ?? fields.get('destination') ?? fields.get('dst');
  if (target === undefined || !target.startsWith('/')) throw new BurrowError('INVALID_ARGUMENT', `invalid --mount "${spec}": target=/absolute/path is required`);
  const type = fields.get('type') ?? 'volume';
  if (type === 'bind') {
    const source = fields.get('source') ?? fields.get('src');
    if (source === undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid --mount "${spec}": source= is required for type=bind`);
    const readOnly = ['readonly', 'ro'].some((key) => fields.has(key) && fields.get(key) !== 'false');
    return { kind: 'bind', source: resolve(source), target, readOnly };
  }
  if (type === 'tmpfs') return { kind: 'tmpfs', target, size: fields.get('tmpfs-size'), mode: fields.get('tmpfs-mode') };
  if (type === 'volume') {
    const source = fields.get('source') ?? fields.get('src');
    if (source === undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid --mount "${spec}": source=NAME is required for type=volume`);
    const noCopy = fields.has('volume-nocopy') && fields.get('volume-nocopy') !== 'false';
    return { kind: 'volume', name: source, target, readOnly: ['readonly', 'ro'].some((key) => fields.has(key) && fields.get(key) !== 'false'), ...(noCopy ? { noCopy: true } : {}) };
  }
  throw new BurrowError('INVALID_ARGUMENT', `invalid --mount "${spec}": type must be bind, volume or tmpfs`);
}

/**
 * Docker's byte sizes (go-units RAMInBytes): a number, fractions allowed, with
 * an optional binary unit k, m, g, t or p (and an optional trailing b or ib):
 * `1.5m` is 1572864 bytes.
 */
export function parseByteSize(text: string): number | undefined {
  return sizeInBytes(text);
}

/** `--log-opt max-size=10m` (json-file): the rotation size in bytes, or undefined when none is given; max-file is read by parseLogMaxFiles. */
export function parseLogOptions(options: string[]): number | undefined {
  let logMaxSize: number | undefined;
  for (const option of options) {
    if (/^max-file=/i.test(option)) continue;
    const size = option.startsWith('max-size=') ? parseByteSize(option.slice('max-size='.length)) : undefined;
    if (size === undefined || size <= 0) throw new BurrowError('INVALID_ARGUMENT', `unsupported --log-opt "${option}": use max-size=SIZE (for example 10m or 1.5m) or max-file=N`);
    logMaxSize = size;
  }
  return logMaxSize;
}

/** A resource limit of the container's processes (`--ulimit`): -1 is unlimited. */
export interface Ulimit {
  name: string;
  soft: number;
  hard: number;
}

/** `--ulimit nofile=1024[:2048]` (soft[:hard]; one value is both; -1 is unlimited). */
export function parseUlimit(spec: string): Ulimit {
  const match = /^([a-z]+)=(-1|\d+)(?::(-1|\d+))?$/.exec(spec);
  if (match === null || ULIMIT_RESOURCES[match[1]!] === undefined) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --ulimit "${spec}": expected NAME=SOFT[:HARD] with NAME one of ${Object.keys(ULIMIT_RESOURCES).join(', ')}`);
  }
  const soft = Number(match[2]);
  const hard = match[3] === undefined ? soft : Number(match[3]);
  if (hard !== -1 && (soft === -1 || soft > hard)) throw new BurrowError('INVALID_ARGUMENT', `invalid --ulimit "${spec}": the soft limit ${soft} is above the hard limit ${hard}`);
  return { name: match[1]!, soft, hard };
}

/** A host device for the container (`--device`). */
export interface DeviceRequest {
  source: string;
  target: string;
  /** Docker's cgroup permissions (r, w, m): kept for inspect; the device's own mode decides here. */
  permissions: string;
}

/** `--device /dev/HOST[:/dev/CONTAINER][:rwm]` */
export function parseDevice(spec: string): DeviceRequest {
  const parts = spec.split(':');
  const permissionsLast = parts.length > 1 && /^[rwm]+$/.test(parts[parts.length - 1]!);
  const permissions = permissionsLast ? parts.pop()! : 'rwm';
  const [source, target = source] = parts as [string, string | undefined];
  if (parts.length > 2 || !source.startsWith('/') || !target.startsWith('/')) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --device "${spec}": expected /dev/HOST[:/dev/CONTAINER][:rwm]`);
  }
  return { source: resolve(source), target, permissions };
}

/** `--stop-signal`: a name (SIGTERM, TERM, RTMIN+3) or a number, kept as given (container/image-config.ts: parseSignal reads it at stop). */
export function parseStopSignal(text: string): string {
  if (parseSignal(text) === undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid --stop-signal "${text}": use a name such as SIGTERM or a number`);
  return /^\d+$/.test(text) ? text : text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`;
}

/**
 * `--detach-keys`: Docker's spelling (a comma list of `ctrl-X` or single
 * characters) is checked, so a typo is an error as in Docker; burrow reads no keys.
 */
export function parseDetachKeys(text: string): string[] {
  if (text === '') return [];
  const keys = text.split(',');
  for (const key of keys) {
    if (!/^(ctrl-[a-z@[\\\]^_]|.)$/.test(key)) throw new BurrowError('INVALID_ARGUMENT', `invalid --detach-keys "${text}": use a comma list of ctrl-<a-z, @, [, \\, ], ^, _> or single characters`);
  }
  return keys;
}

/** `--stop-timeout SECONDS` (-1: wait for ever, as Docker). */
export function parseStopTimeoutFlag(text: string): number {
  if (!/^-?\d+$/.test(text) || Number(text) < -1) throw new BurrowError('INVALID_ARGUMENT', `invalid --stop-timeout "${text}": give whole seconds (-1: no timeout)`);
  return Number(text);
}

/**
 * `--log-opt max-file=N` (json-file): how many log files rotation keeps, the one being
 * written included, or undefined when not given (burrow keeps two: ctr.log and
 * ctr.log.1). A `logs -f` that falls more than N-1 files behind a job loses what
 * was rotated away before it could open it, so a job with a small max-size and
 * heavy output wants a few.
 */
export function parseLogMaxFiles(options: string[]): number | undefined {
  let files: number | undefined;
  for (const option of options) {
    const match = /^max-file=(.*)$/i.exec(option);
    if (match === null) continue;
    if (!/^\d+$/.test(match[1]!) || Number(match[1]) < 1 || Number(match[1]) > 99) throw new BurrowError('INVALID_ARGUMENT', `invalid --log-opt "${option}": max-file must be a number from 1 to 99`);
    files = Number(match[1]);
  }
  return files;
}

/** `-l key=value` (or `key`, an empty value). */
export function parseLabels(pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((label) => {
    const at = label.indexOf('=');
    return at < 0 ? [label, ''] : [label.slice(0, at), label.slice(at + 1)];
  }));
}

/** `--env-file FILE`: its NAME=value lines, without blank lines and # comments. */
export function readEnvFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new BurrowError('INVALID_ARGUMENT', `cannot read --env-file ${path}: no such file or not readable`);
  }
  return text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
}

/** `stop -t SECONDS`, `restart -t SECONDS`. */
export function parseStopTimeout(text: string): number {
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new BurrowError('INVALID_ARGUMENT', `invalid --time "${text}": give seconds`);
  return seconds;
}
