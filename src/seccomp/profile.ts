/**
 * Reads a seccomp profile file (Docker's JSON format), as for
 * `--security-opt seccomp=FILE`: validated against schemas/seccomp.schema.json,
 * with a one-line error naming the file and the field.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { BurrowError } from '../errors.js';
import type { SeccompArg, SeccompProfile } from './types.js';

const SCHEMA_URL = new URL('../../schemas/seccomp.schema.json', import.meta.url);
const UINT64_MAX = (1n << 64n) - 1n;

let validator: ValidateFunction | undefined;

function validate(): ValidateFunction {
  if (validator !== undefined) return validator;
  const require = createRequire(import.meta.url);
  try {
    // Compiled by `npm run build` (scripts/compile-schemas.mjs); written as if from
    // ../seccomp/ so it resolves from build/seccomp/ and from the CLI bundle alike.
    validator = (require('../seccomp/schema-validator.cjs') as { seccomp: ValidateFunction }).seccomp;
  } catch {
    // From the sources (tests): compile the schema now.
    const { Ajv } = require('ajv') as typeof import('ajv');
    validator = new Ajv({ allErrors: false, strict: false }).compile(JSON.parse(readFileSync(SCHEMA_URL, 'utf8')) as object);
  }
  return validator;
}

/** `syscalls/3/args/0/value` as `syscalls[3].args[0].value`. */
function fieldName(instancePath: string, child?: string): string {
  const path = instancePath.slice(1).replace(/\/(\d+)(?=\/|$)/g, '[$1]').replaceAll('/', '.');
  if (child === undefined) return path === '' ? '(top level)' : path;
  return path === '' ? child : `${path}.${child}`;
}

function describe(error: ErrorObject): string {
  if (error.keyword === 'required') return `field "${fieldName(error.instancePath, (error.params as { missingProperty: string }).missingProperty)}" is missing`;
  if (error.keyword === 'additionalProperties') {
    return `field "${fieldName(error.instancePath, (error.params as { additionalProperty: string }).additionalProperty)}" is not a seccomp profile field`;
  }
  if (error.keyword === 'enum') {
    return `field "${fieldName(error.instancePath)}" must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  }
  return `field "${fieldName(error.instancePath)}" ${error.message ?? 'is invalid'}`;
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

function toValue(value: number | string | bigint, field: string, source: string): number | bigint {
  if (typeof value !== 'string') return value;
  const big = BigInt(value);
  if (big > UINT64_MAX) throw new BurrowError('INVALID_ARGUMENT', `invalid seccomp profile ${source}: field "${field}" is larger than an unsigned 64-bit value`);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

/** Checks the schema cannot express: a rule names its syscalls; values fit 64 bits; no seccomp agent is asked for. */
function checkMeaning(profile: SeccompProfile, source: string): void {
  const fail = (message: string): never => {
    throw new BurrowError('INVALID_ARGUMENT', `invalid seccomp profile ${source}: ${message}`);
  };
  if (profile.defaultAction === 'SCMP_ACT_NOTIFY') fail('field "defaultAction": SCMP_ACT_NOTIFY needs a seccomp agent, which burrow does not have');
  if ((profile.flags ?? []).length > 0) fail('field "flags" is not supported: bubblewrap loads the filter without seccomp(2) flags');
  if (profile.listenerPath !== undefined && profile.listenerPath !== '') fail('field "listenerPath" needs a seccomp agent, which burrow does not have');
  (profile.syscalls ?? []).forEach((rule, index) => {
    const where = `syscalls[${index}]`;
    if ((rule.names ?? []).length === 0 && rule.name === undefined) fail(`field "${where}.names" is missing (a rule names its syscalls)`);
    if (rule.action === 'SCMP_ACT_NOTIFY') fail(`field "${where}.action": SCMP_ACT_NOTIFY needs a seccomp agent, which burrow does not have`);
    (rule.args ?? []).forEach((arg: SeccompArg, argIndex) => {
      arg.value = toValue(arg.value as number | string, `${where}.args[${argIndex}].value`, source);
      if (arg.valueTwo !== undefined) arg.valueTwo = toValue(arg.valueTwo as number | string, `${where}.args[${argIndex}].valueTwo`, source);
    });
  });
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
  const check = validate();
  if (!check(value)) {
    const first = check.errors?.[0];
    throw new BurrowError('INVALID_ARGUMENT', `invalid seccomp profile ${source}: ${first === undefined ? 'does not match its schema' : describe(first)}`);
  }
  const profile = value as SeccompProfile;
  checkMeaning(profile, source);
  return profile;
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
