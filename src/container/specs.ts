import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BurrowError } from '../errors.js';
import type { MountRequest } from './create.js';

/**
 * Docker's spellings of values that `run`, `create`, `stop` and `restart` take as
 * text (the CLI's flags, an Action's inputs, a job file), parsed into the library's
 * options. Each error names the value and the spelling expected.
 */

/** `-v host:container[:ro|rw]` */
export function parseVolume(spec: string): MountRequest {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3 || parts[0] === '' || parts[1] === '') {
    throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": expected /host/path:/container/path[:ro]`);
  }
  const [source, target, mode] = parts as [string, string, string | undefined];
  if (!source.startsWith('/') && !source.startsWith('.')) {
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(source)) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": "${source}" is neither a path nor a volume name`);
    if (!target.startsWith('/')) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": the container path must be absolute`);
    return { kind: 'volume', name: source, target, readOnly: mode === 'ro' };
  }
  if (!target.startsWith('/')) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": the container path must be absolute`);
  if (mode !== undefined && !['ro', 'rw'].includes(mode)) throw new BurrowError('INVALID_ARGUMENT', `invalid volume "${spec}": mode must be ro or rw`);
  return { kind: 'bind', source: resolve(source), target, readOnly: mode === 'ro' };
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
    return { kind: 'volume', name: source, target, readOnly: ['readonly', 'ro'].some((key) => fields.has(key) && fields.get(key) !== 'false') };
  }
  throw new BurrowError('INVALID_ARGUMENT', `invalid --mount "${spec}": type must be bind, volume or tmpfs`);
}

/** `--log-opt max-size=10m` (json-file): the rotation size in bytes, or undefined when none is given; max-file is read by parseLogMaxFiles. */
export function parseLogOptions(options: string[]): number | undefined {
  let logMaxSize: number | undefined;
  for (const option of options) {
    if (/^max-file=/i.test(option)) continue;
    const match = /^max-size=(\d+)([kmg]?)$/i.exec(option);
    if (match === null) throw new BurrowError('INVALID_ARGUMENT', `unsupported --log-opt "${option}": use max-size=SIZE (for example 10m) or max-file=N`);
    logMaxSize = Number(match[1]) * ({ '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[match[2]!.toLowerCase()]!;
  }
  return logMaxSize;
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
