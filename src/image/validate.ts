import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';
import { BurrowError } from '../errors.js';
import type { ImageConfig, ImageIndex, ImageManifest } from './types.js';

const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);
const SCHEMA_FILES = ['descriptor', 'manifest', 'index', 'config'] as const;
type SchemaName = (typeof SCHEMA_FILES)[number];

let ajv: Ajv | undefined;
const validators = new Map<SchemaName, ValidateFunction>();

/** Validators compiled by `npm run build` (scripts/compile-schemas.mjs), when present. */
function precompiled(name: SchemaName): ValidateFunction | undefined {
  try {
    // Written as if from ../image/ so it resolves from build/image/ and from the CLI bundle alike.
    const compiled = createRequire(import.meta.url)('../image/schema-validators.cjs') as Record<SchemaName, ValidateFunction>;
    return compiled[name];
  } catch {
    return undefined;
  }
}

function validator(name: SchemaName): ValidateFunction {
  let validate = validators.get(name) ?? precompiled(name);
  if (validate === undefined) {
    if (ajv === undefined) {
      // Compiled lazily: a command that never reads a manifest pays nothing.
      const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
      ajv = new AjvClass({ allErrors: false, strict: false });
      for (const file of SCHEMA_FILES) {
        ajv.addSchema(JSON.parse(readFileSync(new URL(`${file}.schema.json`, SCHEMA_DIR), 'utf8')) as object);
      }
    }
    validate = ajv.getSchema(`https://burrow.dev/schemas/${name}.schema.json`);
    if (validate === undefined) throw new Error(`schema ${name} missing`);
    validators.set(name, validate);
  }
  return validate;
}

function describe(error: ErrorObject): string {
  const field = error.instancePath === '' ? '(top level)' : error.instancePath.slice(1).replace(/\/(\d+)(?=\/|$)/g, '[$1]').replaceAll('/', '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `field "${field === '(top level)' ? missing : `${field}.${missing}`}" is missing`;
  }
  return `field "${field}" ${error.message ?? 'is invalid'}`;
}

function check<T>(name: SchemaName, what: string, value: unknown): T {
  const validate = validator(name);
  if (!validate(value)) {
    const first = validate.errors?.[0];
    throw new BurrowError('INVALID_MANIFEST', `invalid ${what}: ${first === undefined ? 'does not match its schema' : describe(first)}`);
  }
  return value as T;
}

export function parseJson(bytes: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(bytes.toString());
  } catch (error) {
    throw new BurrowError('INVALID_MANIFEST', `invalid ${what}: not JSON (${(error as Error).message})`);
  }
}

export const validateManifest = (value: unknown, what = 'image manifest'): ImageManifest => check('manifest', what, value);
export const validateIndex = (value: unknown, what = 'image index'): ImageIndex => check('index', what, value);
export const validateConfig = (value: unknown, what = 'image config'): ImageConfig => check('config', what, value);
