/**
 * Reads a seccomp profile file (Docker's JSON format), as for
 * `--security-opt seccomp=FILE`, with a one-line error naming the file and the
 * field. This is where a profile is checked, each rule once: its shape by
 * schemas/seccomp.schema.json (fields, actions, operators, an argument index of
 * 0 to 5, values that are non-negative integers); here what a schema cannot say
 * (a value's upper bound of 2^64-1, a rule naming its syscalls) and what burrow
 * cannot do (a seccomp agent, seccomp(2) flags). The compiler trusts what comes
 * out (types.ts).
 */
import { readFileSync } from 'node:fs';
import { BurrowError } from '../errors.js';
import { SchemaSet } from '../util/schema.js';
import type { SeccompAction, SeccompArg, SeccompProfile, SeccompSyscallRule } from './types.js';

const SECCOMP_SCHEMAS = new SchemaSet<'seccomp'>('seccomp', ['seccomp']);
const UINT64_MAX = (1n << 64n) - 1n;
const NO_AGENT = 'SCMP_ACT_NOTIFY needs a seccomp agent, which burrow does not have: use SCMP_ACT_ERRNO or SCMP_ACT_TRACE';

/** An argument as the schema admits it: values past 2^53 as strings of digits. */
type ArgDocument = Omit<SeccompArg, 'value' | 'valueTwo'> & { value: number | string; valueTwo?: number | string };
type ActionDocument = SeccompAction | 'SCMP_ACT_NOTIFY';
type RuleDocument = Omit<SeccompSyscallRule, 'action' | 'args'> & { action: ActionDocument; args?: ArgDocument[] | null };

/** A profile as the schema admits it: what the compiler takes, and what burrow refuses with a reason. */
interface ProfileDocument extends Omit<SeccompProfile, 'defaultAction' | 'syscalls'> {
  defaultAction: ActionDocument;
  flags?: string[] | null;
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: RuleDocument[] | null;
}

/**
 * JSON numbers past 2^53 lose digits in JSON.parse (18446744073709551615 would
 * become ...552000): integer literals that long become strings of digits before
 * parsing, which the schema accepts for argument values and turns into bigints.
 */
function quoteLongIntegers(text: string): string {
  if (!/\d{16}/.test(text)) return text;
  const number = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
  let out = '';
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === '"') {
      // A string literal, escapes included, is copied whole.
      let end = index + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      out += text.slice(index, end + 1);
      index = end + 1;
      continue;
    }
    number.lastIndex = index;
    const match = char === '-' || (char >= '0' && char <= '9') ? number.exec(text) : null;
    if (match !== null) {
      const literal = match[0];
      const isLongInteger = match[1] === undefined && match[2] === undefined && literal.length >= 16 && !literal.startsWith('-') && BigInt(literal) > BigInt(Number.MAX_SAFE_INTEGER);
      out += isLongInteger ? `"${literal}"` : literal;
      index += literal.length;
      continue;
    }
    out += char;
    index++;
  }
  return out;
}

function toValue(value: number | string, field: string, fail: (message: string) => never): number | bigint {
  if (typeof value !== 'string') return value;
  const big = BigInt(value);
  if (big > UINT64_MAX) fail(`field "${field}" is larger than an unsigned 64-bit value`);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** The checks the schema cannot express, and the profile the compiler takes. */
function toProfile(document: ProfileDocument, source: string): SeccompProfile {
  const fail = (message: string): never => {
    throw new BurrowError('INVALID_ARGUMENT', `invalid seccomp profile ${source}: ${message}`);
  };
  const { defaultAction, flags, listenerPath, listenerMetadata: _metadata, syscalls, ...rest } = document;
  if (defaultAction === 'SCMP_ACT_NOTIFY') fail(`field "defaultAction": ${NO_AGENT}`);
  if ((flags ?? []).length > 0) fail('field "flags" is not supported: burrow-init loads the filter with prctl, which takes no seccomp(2) flags');
  if (listenerPath !== undefined && listenerPath !== '') fail('field "listenerPath" needs a seccomp agent, which burrow does not have');
  const rules = (syscalls ?? []).map((rule, index): SeccompSyscallRule => {
    const where = `syscalls[${index}]`;
    const { action, args, ...ruleRest } = rule;
    if ((rule.names ?? []).length === 0 && rule.name === undefined) fail(`field "${where}.names" is missing (a rule names its syscalls)`);
    if (action === 'SCMP_ACT_NOTIFY') fail(`field "${where}.action": ${NO_AGENT}`);
    const compiled = (args ?? []).map(({ value, valueTwo, ...argRest }, argIndex): SeccompArg => ({
      ...argRest,
      value: toValue(value, `${where}.args[${argIndex}].value`, fail),
      ...(valueTwo === undefined ? {} : { valueTwo: toValue(valueTwo, `${where}.args[${argIndex}].valueTwo`, fail) }),
    }));
    return { ...ruleRest, action: action as SeccompAction, args: compiled };
  });
  return { ...rest, defaultAction: defaultAction as SeccompAction, syscalls: rules };
}

/**
 * Parses and validates a profile. `source` names it in errors (the file's path).
 * Argument values past 2^53 come back as bigints.
 */
export function parseSeccompProfile(text: string | Buffer, source: string): SeccompProfile {
  let value: unknown;
  try {
    value = JSON.parse(quoteLongIntegers(text.toString()));
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid seccomp profile ${source}: not JSON (${(error as Error).message})`);
  }
  const problem = SECCOMP_SCHEMAS.problem('seccomp', value, 'seccomp profile');
  if (problem !== undefined) throw new BurrowError('INVALID_ARGUMENT', `invalid seccomp profile ${source}: ${problem}`);
  return toProfile(value as ProfileDocument, source);
}

/** Reads and parses a profile file, as `--security-opt seccomp=FILE` names it. */
export function loadSeccompProfile(path: string): SeccompProfile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot read seccomp profile ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseSeccompProfile(text, path);
}
