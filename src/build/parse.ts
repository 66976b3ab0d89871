import { BurrowError } from '../errors.js';

/**
 * A Dockerfile read into instructions, as Docker's reference describes it
 * (https://docs.docker.com/reference/dockerfile/): parser directives at the top
 * (`# escape=` is honoured, `# syntax=` and `# check=` are read and ignored), comment
 * lines (also inside a continued instruction), empty lines, line continuations
 * with the escape character (`\` or `` ` ``) at the end of a line, the keyword
 * case-insensitive, `--flag=value` options before the arguments, and the JSON
 * (exec) form of CMD, ENTRYPOINT, RUN, SHELL, VOLUME, COPY and ADD.
 *
 * What burrow does not build is refused here, each with one line naming the
 * instruction and its line: multi-stage builds (`FROM ... AS`, a second FROM,
 * `COPY --from`), `RUN --mount` (and the other RUN flags), ONBUILD, HEALTHCHECK
 * and heredocs. A refusal before any work beats an image that is silently not the
 * one the Dockerfile describes.
 */
export interface Instruction {
  /** Upper case: FROM, RUN, COPY... */
  keyword: string;
  /** The arguments after the keyword and its flags, continuations joined. */
  args: string;
  /** `--name=value` options given before the arguments (`--name` alone: the empty string). */
  flags: Map<string, string>;
  /** The JSON form's strings, when the arguments are a JSON array of strings. */
  json: string[] | undefined;
  /** The line (1-based) where the instruction starts. */
  line: number;
  /** The instruction as written (continuations joined), for the progress lines. */
  original: string;
}

export interface Dockerfile {
  /** The escape character (`# escape=`): `\` unless the file says otherwise. */
  escape: string;
  instructions: Instruction[];
}

const SUPPORTED = new Set(['FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT', 'VOLUME', 'USER', 'WORKDIR', 'ARG', 'STOPSIGNAL', 'SHELL']);
const REFUSED: Record<string, string> = {
  ONBUILD: 'ONBUILD is not supported by burrow build',
  HEALTHCHECK: 'HEALTHCHECK is not supported by burrow build yet (give --health-cmd to burrow run)',
};
/** The flags each instruction accepts (a flag of another instruction is refused, as Docker does). */
const FLAGS: Record<string, readonly string[]> = {
  FROM: ['platform'],
  COPY: ['chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link', 'keep-git-dir', 'checksum'],
};
/** Flags Docker knows that burrow does not build with: refused by name rather than as unknown. */
const UNSUPPORTED_FLAGS: Record<string, readonly string[]> = {
  COPY: ['from', 'parents', 'exclude'],
  ADD: ['from', 'parents', 'exclude'],
  RUN: ['mount', 'network', 'security'],
};
const JSON_FORMS = new Set(['CMD', 'ENTRYPOINT', 'RUN', 'SHELL', 'VOLUME', 'COPY', 'ADD']);

export function refuse(line: number, keyword: string, why: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `Dockerfile line ${line}: ${keyword}: ${why}`);
}

/** `# name=value` parser directives, read only before anything else in the file. */
function readDirectives(lines: string[]): { escape: string; start: number } {
  let escape = '\\';
  const seen = new Set<string>();
  let index = 0;
  for (; index < lines.length; index++) {
    const match = /^\s*#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$/.exec(lines[index]!);
    if (match === null) break;
    const name = match[1]!.toLowerCase();
    // A repeated directive, or an unknown one, ends the directives: the rest are comments (Docker's rule).
    if (seen.has(name) || !['escape', 'syntax', 'check'].includes(name)) break;
    seen.add(name);
    if (name === 'escape') {
      if (match[2] !== '\\' && match[2] !== '`') throw refuse(index + 1, 'escape', `invalid escape character "${match[2]}": use \\ or \``);
      escape = match[2];
    }
  }
  return { escape, start: index };
}

/** Leading `--name=value` words of `text`; the rest of it. */
function splitFlags(text: string, line: number, keyword: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = text;
  for (;;) {
    const match = /^--([A-Za-z][A-Za-z0-9-]*)(?:=("[^"]*"|'[^']*'|\S*))?(?:\s+|$)/.exec(rest);
    if (match === null) break;
    const name = match[1]!.toLowerCase();
    let value = match[2] ?? '';
    if (/^(".*"|'.*')$/.test(value)) value = value.slice(1, -1);
    if (UNSUPPORTED_FLAGS[keyword]?.includes(name)) {
      throw refuse(line, keyword, `--${name} is not supported by burrow build${name === 'from' ? ' (multi-stage builds are not)' : ''}`);
    }
    if (!(FLAGS[keyword] ?? []).includes(name)) throw refuse(line, keyword, `unknown flag --${name}`);
    flags.set(name, value);
    rest = rest.slice(match[0].length);
  }
  return { flags, rest };
}

/** The JSON form: a JSON array of strings; anything else is the shell form (Docker's fallback). */
function jsonForm(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed as string[];
  } catch {
    // The shell form.
  }
  return undefined;
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const { escape, start } = readDirectives(lines);
  const continued = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  const instructions: Instruction[] = [];
  let index = start;
  while (index < lines.length) {
    const first = lines[index]!;
    if (/^\s*(#|$)/.test(first)) {
      index++;
      continue;
    }
    const line = index + 1;
    let joined = '';
    let current = first;
    for (;;) {
      index++;
      if (!continued.test(current)) {
        joined += current;
        break;
      }
      joined += current.replace(continued, '');
      // Comment lines and empty lines inside a continued instruction are dropped (Docker's parser).
      while (index < lines.length && /^\s*(#|$)/.test(lines[index]!)) index++;
      if (index >= lines.length) break;
      current = lines[index]!;
    }
    const trimmed = joined.trim();
    const match = /^(\S+)(?:\s+([\s\S]*))?$/.exec(trimmed)!;
    const keyword = match[1]!.toUpperCase();
    const body = (match[2] ?? '').trim();
    if (REFUSED[keyword] !== undefined) throw refuse(line, keyword, REFUSED[keyword]!);
    if (!SUPPORTED.has(keyword)) throw refuse(line, keyword, 'unknown instruction');
    const { flags, rest } = keyword === 'RUN' || FLAGS[keyword] !== undefined || UNSUPPORTED_FLAGS[keyword] !== undefined ? splitFlags(body, line, keyword) : { flags: new Map<string, string>(), rest: body };
    const args = rest.trim();
    if ((keyword === 'RUN' || keyword === 'COPY' || keyword === 'ADD') && /(^|\s)<<-?\s*["']?[A-Za-z_]/.test(args) && jsonForm(args) === undefined) {
      throw refuse(line, keyword, 'heredocs are not supported by burrow build');
    }
    if (args === '' && keyword !== 'RUN') throw refuse(line, keyword, `${keyword} needs an argument`);
    instructions.push({ keyword, args, flags, json: JSON_FORMS.has(keyword) ? jsonForm(args) : undefined, line, original: trimmed });
  }
  checkStages(instructions);
  return { escape, instructions };
}

/** One stage only: a FROM (after ARGs only), never `AS name`, never a second FROM. */
function checkStages(instructions: readonly Instruction[]): void {
  const from = instructions.findIndex((instruction) => instruction.keyword === 'FROM');
  if (from < 0) throw new BurrowError('INVALID_ARGUMENT', 'the Dockerfile has no FROM instruction: it needs one (FROM IMAGE, or FROM scratch)');
  const before = instructions.slice(0, from).find((instruction) => instruction.keyword !== 'ARG');
  if (before !== undefined) throw refuse(before.line, before.keyword, 'only ARG may come before the first FROM');
  for (const instruction of instructions) {
    if (instruction.keyword !== 'FROM') continue;
    if (/\s+as\s+\S+$/i.test(instruction.args)) throw refuse(instruction.line, 'FROM', 'multi-stage builds (FROM ... AS NAME) are not supported by burrow build');
    if (instruction !== instructions[from]) throw refuse(instruction.line, 'FROM', 'multi-stage builds (a second FROM) are not supported by burrow build');
  }
}
