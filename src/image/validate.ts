import { BurrowError } from '../errors.js';
import { SchemaSet } from '../util/schema.js';
import type { ImageConfig, ImageIndex, ImageManifest } from './types.js';

type SchemaName = 'descriptor' | 'manifest' | 'index' | 'config';
const IMAGE_SCHEMAS = new SchemaSet<SchemaName>('image', ['descriptor', 'manifest', 'index', 'config']);
const DOCUMENT: Record<SchemaName, string> = { descriptor: 'descriptor', manifest: 'image manifest', index: 'image index', config: 'image config' };

function check<T>(name: SchemaName, what: string, value: unknown): T {
  const problem = IMAGE_SCHEMAS.problem(name, value, DOCUMENT[name]);
  if (problem !== undefined) throw new BurrowError('INVALID_MANIFEST', `invalid ${what}: ${problem}`);
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
