import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BurrowError } from '../errors.js';
import { writeFileAtomic } from '../store/atomic.js';
import { DOCKER_HUB_DOMAIN } from '../reference/reference.js';
import { homeForLookups } from '../util/home.js';

/** Docker's config.json, the file `docker login` writes; burrow reads and writes the same format. */
export interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
  [other: string]: unknown;
}

export interface Credentials {
  username: string;
  password: string;
  /**
   * An OAuth2 refresh token (config.json's `identitytoken`, or a helper's answer
   * with the user name `<token>`): exchanged at the token server, as Docker does.
   */
  identityToken?: string;
}

/** The user name with which credential helpers hand over an identity token (Docker's convention). */
const IDENTITY_TOKEN_USER = '<token>';

/** Docker Hub's key in config.json is a URL, for history's sake. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB_DOMAIN, 'index.docker.io', 'registry-1.docker.io']);

export function dockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG !== undefined && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(homeForLookups(env), '.docker');
  return join(dir, 'config.json');
}

function configKey(domain: string): string {
  return DOCKER_HUB_ALIASES.has(domain) ? DOCKER_HUB_KEY : domain;
}

/** `https://host:5000/v1/` → `host:5000` */
function hostOfKey(key: string): string {
  const withoutScheme = key.replace(/^[a-z]+:\/\//, '');
  const host = withoutScheme.split('/')[0] ?? withoutScheme;
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB_DOMAIN : host;
}

function readDockerConfig(path = dockerConfigPath()): DockerConfigFile {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DockerConfigFile;
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `${path} is not valid JSON (${(error as Error).message}): fix it or remove it`);
  }
}

function helperFor(config: DockerConfigFile, domain: string): string | undefined {
  for (const [key, helper] of Object.entries(config.credHelpers ?? {})) {
    if (hostOfKey(key) === hostOfKey(domain)) return helper;
  }
  return config.credsStore;
}

async function runHelper(helper: string, action: 'get' | 'store' | 'erase', input: string): Promise<string> {
  const program = `docker-credential-${helper}`;
  try {
    // execa costs ~70 ms to load: only when a helper is configured.
    const { execa } = await import('execa');
    const result = await execa(program, [action], { input, timeout: 30_000 });
    return result.stdout;
  } catch (error) {
    const failure = error as { code?: string; cause?: { code?: string }; stdout?: string; stderr?: string; shortMessage?: string };
    const errno = failure.code ?? failure.cause?.code;
    if (errno === 'ENOENT' || errno === 'EACCES') {
      throw new BurrowError('INVALID_ARGUMENT', `credential helper ${program} (named in your Docker config) is not on PATH or not executable: install it or remove it from the config`);
    }
    const output = `${failure.stdout ?? ''} ${failure.stderr ?? ''}`;
    if (action === 'get' && /credentials not found/i.test(output)) return '';
    throw new BurrowError('INVALID_ARGUMENT', `credential helper ${program} ${action} failed: ${output.trim() || failure.shortMessage}`);
  }
}

/** Looks up credentials for a registry: credential helper first, then `auths`. */
export async function lookupCredentials(domain: string, path = dockerConfigPath()): Promise<Credentials | undefined> {
  const config = readDockerConfig(path);
  const helper = helperFor(config, domain);
  if (helper !== undefined) {
    const output = await runHelper(helper, 'get', configKey(domain));
    if (output.trim() !== '') {
      const parsed = JSON.parse(output) as { Username?: string; Secret?: string };
      if (parsed.Username === IDENTITY_TOKEN_USER && parsed.Secret !== undefined) return { username: IDENTITY_TOKEN_USER, password: '', identityToken: parsed.Secret };
      if (parsed.Username !== undefined && parsed.Secret !== undefined) return { username: parsed.Username, password: parsed.Secret };
    }
  }
  for (const [key, entry] of Object.entries(config.auths ?? {})) {
    if (hostOfKey(key) !== hostOfKey(domain)) continue;
    let found: Credentials | undefined;
    if (entry.auth !== undefined && entry.auth !== '') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new BurrowError('INVALID_ARGUMENT', `${path}: the "auth" entry for ${key} is not base64 of user:password`);
      found = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (entry.username !== undefined && entry.password !== undefined) {
      found = { username: entry.username, password: entry.password };
    }
    // Docker keeps the identity token beside (or instead of) the user name; it is what goes to the token server.
    if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') {
      return { username: found?.username ?? entry.username ?? IDENTITY_TOKEN_USER, password: found?.password ?? '', identityToken: entry.identitytoken };
    }
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Saves credentials where Docker would: the credential helper if one is set, else `auths`. */
export async function storeCredentials(domain: string, credentials: Credentials, path = dockerConfigPath()): Promise<void> {
  const config = readDockerConfig(path);
  const helper = helperFor(config, domain);
  if (helper !== undefined) {
    await runHelper(helper, 'store', JSON.stringify({ ServerURL: configKey(domain), Username: credentials.username, Secret: credentials.password }));
    return;
  }
  const auths = config.auths ?? {};
  auths[configKey(domain)] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
  config.auths = auths;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomic(path, `${JSON.stringify(config, null, '\t')}\n`, 0o600);
}

/** Forgets credentials; returns false when there were none. */
export async function eraseCredentials(domain: string, path = dockerConfigPath()): Promise<boolean> {
  const config = readDockerConfig(path);
  const helper = helperFor(config, domain);
  let erased = false;
  if (helper !== undefined) {
    await runHelper(helper, 'erase', configKey(domain));
    erased = true;
  }
  for (const key of Object.keys(config.auths ?? {})) {
    if (hostOfKey(key) === hostOfKey(domain)) {
      delete config.auths![key];
      erased = true;
    }
  }
  if (erased && existsSync(path)) writeFileAtomic(path, `${JSON.stringify(config, null, '\t')}\n`, 0o600);
  return erased;
}
