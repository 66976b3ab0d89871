import type { BurrowConfig } from '../config/config.js';
import { BurrowError } from '../errors.js';
import { DOCKER_HUB_DOMAIN } from '../reference/reference.js';
import { RegistryClient } from './client.js';
import { dockerConfigPath, eraseCredentials, storeCredentials, type Credentials } from './credentials.js';

/** `docker.io`, `https://host:5000/` → the registry host credentials are kept under. */
function normalizeServer(server: string): string {
  const host = server.replace(/^[a-z]+:\/\//, '').split('/')[0] ?? server;
  if (host === '' ) throw new BurrowError('INVALID_ARGUMENT', `"${server}" is not a registry host`);
  return ['index.docker.io', 'registry-1.docker.io'].includes(host) ? DOCKER_HUB_DOMAIN : host;
}

/** Checks the credentials against the registry, then saves them; returns where. */
export async function login(server: string, credentials: Credentials, config: BurrowConfig, signal?: AbortSignal): Promise<string> {
  const domain = normalizeServer(server);
  const client = await RegistryClient.connect(domain, {
    timeoutMs: config.httpTimeoutSeconds * 1000,
    insecureRegistries: config.insecureRegistries,
    credentials,
    retries: config.retries,
    signal,
  });
  try {
    await client.verifyLogin();
  } finally {
    await client.close();
  }
  await storeCredentials(domain, credentials);
  return dockerConfigPath();
}

export function logout(server: string): Promise<boolean> {
  return eraseCredentials(normalizeServer(server));
}
