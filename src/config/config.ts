import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { homeForLookups, xdgDirectory } from '../util/home.js';

/** burrow's own settings (`$BURROW_CONFIG`, else `$XDG_CONFIG_HOME/burrow/config.json`). */
export interface BurrowConfig {
  /** Tried in order for docker.io before Docker Hub itself, like dockerd's registry-mirrors. */
  registryMirrors: string[];
  /** Registries reached over plain HTTP or unverified TLS (loopback always is). */
  insecureRegistries: string[];
  httpTimeoutSeconds: number;
  maxConcurrentDownloads: number;
  retries: number;
  /**
   * The most a layer may hold, uncompressed, in bytes: what its tar stream
   * carries and what its entries declare (a sparse file counts its full size).
   * A gzip bomb stops here. JSON: a number of bytes or a size such as "32g".
   */
  maxLayerSize: number;
}

export const DEFAULT_CONFIG: BurrowConfig = {
  registryMirrors: [],
  insecureRegistries: [],
  httpTimeoutSeconds: 30,
  maxConcurrentDownloads: 3,
  retries: 5,
  maxLayerSize: 32 * 1024 ** 3,
};

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `1073741824`, `"1073741824"`, `"1g"`, `"512MiB"`, `"2 GB"` → bytes (units are powers of 1024, as Docker's). */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$/i.exec(value);
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

function byteSize(where: string, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const bytes = parseByteSize(value);
  if (bytes === undefined) throw new BurrowError('INVALID_ARGUMENT', `${where}: "${key}" must be a size in bytes, or a number with k, m, g or t (such as "32g")`);
  return bytes;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BURROW_CONFIG !== undefined && env.BURROW_CONFIG !== '') return env.BURROW_CONFIG;
  const configHome = xdgDirectory(env, 'XDG_CONFIG_HOME', '.config') ?? join(homeForLookups(env), '.config');
  return join(configHome, 'burrow', 'config.json');
}

function stringList(path: string, key: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new BurrowError('INVALID_ARGUMENT', `${path}: "${key}" must be a list of strings`);
  }
  return value as string[];
}

function positiveNumber(path: string, key: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) throw new BurrowError('INVALID_ARGUMENT', `${path}: "${key}" must be a positive number`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BurrowConfig {
  const path = configPath(env);
  let raw: Record<string, unknown> = {};
  if (existsSync(path)) {
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new BurrowError('INVALID_ARGUMENT', `${path} is not valid JSON (${(error as Error).message}): fix or remove it`);
    }
  }
  const config: BurrowConfig = {
    registryMirrors: stringList(path, 'registryMirrors', raw.registryMirrors),
    insecureRegistries: stringList(path, 'insecureRegistries', raw.insecureRegistries),
    httpTimeoutSeconds: positiveNumber(path, 'httpTimeoutSeconds', raw.httpTimeoutSeconds, DEFAULT_CONFIG.httpTimeoutSeconds),
    maxConcurrentDownloads: positiveNumber(path, 'maxConcurrentDownloads', raw.maxConcurrentDownloads, DEFAULT_CONFIG.maxConcurrentDownloads),
    retries: positiveNumber(path, 'retries', raw.retries, DEFAULT_CONFIG.retries),
    maxLayerSize: byteSize(path, 'maxLayerSize', raw.maxLayerSize, DEFAULT_CONFIG.maxLayerSize),
  };
  // Environment overrides, handy in CI and in tests of time-outs.
  if (env.BURROW_HTTP_TIMEOUT !== undefined) config.httpTimeoutSeconds = positiveNumber('BURROW_HTTP_TIMEOUT', 'value', Number(env.BURROW_HTTP_TIMEOUT), config.httpTimeoutSeconds);
  if (env.BURROW_MAX_LAYER_SIZE !== undefined && env.BURROW_MAX_LAYER_SIZE !== '') config.maxLayerSize = byteSize('BURROW_MAX_LAYER_SIZE', 'value', env.BURROW_MAX_LAYER_SIZE, config.maxLayerSize);
  if (env.BURROW_INSECURE_REGISTRIES !== undefined) config.insecureRegistries.push(...env.BURROW_INSECURE_REGISTRIES.split(',').filter(Boolean));
  return config;
}
