import { posix } from 'node:path';
import { BurrowError } from '../errors.js';
import type { ContainerConfig } from './types.js';

/**
 * `commit --change` (and later `import --change`): Dockerfile instructions applied
 * to an image's config, those Docker's `commit` takes (CMD, ENTRYPOINT, ENV,
 * EXPOSE, LABEL, ONBUILD, USER, VOLUME, WORKDIR) and Podman's STOPSIGNAL. An
 * instruction is `NAME ARGS` or, as Podman also reads it, `NAME=ARGS`.
 */
export type ImageChangeConfig = ContainerConfig & { OnBuild?: string[] | null };

const INSTRUCTIONS = ['CMD', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'LABEL', 'ONBUILD', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR'] as const;
type Instruction = (typeof INSTRUCTIONS)[number];

function invalid(change: string, why: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `invalid --change "${change}": ${why}`);
}

/** Words of `text`, with Dockerfile quoting: "…" and '…' group, a backslash escapes the next character. */
function words(text: string, change: string): string[] {
  const found: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && index + 1 < text.length) current += text[++index];
      else current += char;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && index + 1 < text.length) {
      current += text[++index];
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) found.push(current);
      current = '';
      inWord = false;
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote !== undefined) throw invalid(change, `unterminated ${quote} quote`);
  if (inWord) found.push(current);
  return found;
}

/** CMD and ENTRYPOINT: the JSON form as given, the shell form under `/bin/sh -c`. */
function commandForm(args: string, change: string): string[] {
  if (args.startsWith('[')) {
    try {
      const parsed = JSON.parse(args) as unknown;
      if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed as string[];
    } catch {
      // Docker falls back to the shell form for text that is not a JSON array of strings.
    }
  }
  return ['/bin/sh', '-c', args];
}

/** KEY=VALUE pairs (several on one line), or the old `KEY VALUE` form. */
function pairs(args: string, change: string): Array<[string, string]> {
  const list = words(args, change);
  if (list.length === 0) throw invalid(change, 'it names nothing');
  if (!list[0]!.includes('=')) {
    const [key] = list;
    const value = args.trim().slice(args.trim().indexOf(key!) + key!.length).trim();
    if (value === '') throw invalid(change, `${key} has no value`);
    return [[key!, value]];
  }
  return list.map((word) => {
    const at = word.indexOf('=');
    if (at <= 0) throw invalid(change, `"${word}" is not KEY=VALUE`);
    return [word.slice(0, at), word.slice(at + 1)];
  });
}

/** One instruction, checked; applied by applyChanges. */
export interface ParsedChange {
  instruction: Instruction;
  args: string;
  change: string;
}

export function parseChange(change: string): ParsedChange {
  const match = /^\s*([A-Za-z]+)(?:\s+|=)([\s\S]*)$/.exec(change);
  const instruction = match?.[1]?.toUpperCase() as Instruction | undefined;
  if (match === null || instruction === undefined || !(INSTRUCTIONS as readonly string[]).includes(instruction)) {
    throw invalid(change, `expected one of ${INSTRUCTIONS.join(', ')} followed by its arguments`);
  }
  const args = match[2]!.trim();
  if (args === '') throw invalid(change, `${instruction} needs an argument`);
  const parsed = { instruction, args, change };
  // Check now, on a scratch config, so that a bad instruction fails before any work.
  applyChanges({}, [parsed]);
  return parsed;
}

/** The config with each change applied in order (a new object; `config` is not changed). */
export function applyChanges(config: ImageChangeConfig, changes: readonly ParsedChange[]): ImageChangeConfig {
  const next: ImageChangeConfig = { ...config };
  for (const { instruction, args, change } of changes) {
    switch (instruction) {
      case 'CMD':
        next.Cmd = commandForm(args, change);
        break;
      case 'ENTRYPOINT':
        next.Entrypoint = commandForm(args, change);
        // As in a Dockerfile, a new ENTRYPOINT drops the CMD inherited with the old one.
        if (!changes.some((other) => other.instruction === 'CMD')) next.Cmd = null;
        break;
      case 'ENV': {
        const env = [...(next.Env ?? [])];
        for (const [key, value] of pairs(args, change)) {
          const at = env.findIndex((entry) => entry.startsWith(`${key}=`));
          if (at >= 0) env[at] = `${key}=${value}`;
          else env.push(`${key}=${value}`);
        }
        next.Env = env;
        break;
      }
      case 'LABEL':
        next.Labels = { ...(next.Labels ?? {}), ...Object.fromEntries(pairs(args, change)) };
        break;
      case 'EXPOSE': {
        const exposed = { ...(next.ExposedPorts ?? {}) };
        for (const word of words(args, change)) {
          const port = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(word);
          if (port === null || Number(port[1]) < 1 || Number(port[1]) > 65535) throw invalid(change, `"${word}" is not a port (PORT or PORT/tcp|udp|sctp)`);
          exposed[`${Number(port[1])}/${(port[2] ?? 'tcp').toLowerCase()}`] = {};
        }
        next.ExposedPorts = exposed;
        break;
      }
      case 'VOLUME': {
        const list = args.startsWith('[') ? commandForm(args, change) : words(args, change);
        if (args.startsWith('[') && list[0] === '/bin/sh') throw invalid(change, 'VOLUME takes a JSON array of strings or paths');
        const volumes = { ...(next.Volumes ?? {}) };
        for (const path of list) {
          if (!path.startsWith('/')) throw invalid(change, `the volume "${path}" is not an absolute path`);
          volumes[path] = {};
        }
        next.Volumes = volumes;
        break;
      }
      case 'USER':
        next.User = args;
        break;
      case 'WORKDIR':
        next.WorkingDir = posix.resolve(next.WorkingDir === undefined || next.WorkingDir === '' ? '/' : next.WorkingDir, args);
        break;
      case 'STOPSIGNAL':
        if (!/^(SIG)?[A-Z0-9+-]+$/i.test(args)) throw invalid(change, `"${args}" is not a signal`);
        next.StopSignal = args;
        break;
      case 'ONBUILD':
        next.OnBuild = [...(next.OnBuild ?? []), args];
        break;
    }
  }
  return next;
}
