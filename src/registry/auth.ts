import { BurrowError } from '../errors.js';
import type { Credentials } from './credentials.js';
import type { HttpClient } from './http.js';

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parses `WWW-Authenticate: Bearer realm="…",service="…",scope="a,b"` (RFC 7235; values may hold commas). */
export function parseChallenges(headers: string[]): Challenge[] {
  const challenges: Challenge[] = [];
  for (const header of headers) {
    const pattern = /\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)((?:[A-Za-z0-9_-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?\s*)*)/y;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(header)) !== null && match[0].length > 0) {
      const params: Record<string, string> = {};
      const paramPattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
      for (const param of (match[2] ?? '').matchAll(paramPattern)) {
        params[param[1]!.toLowerCase()] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
      }
      challenges.push({ scheme: match[1]!.toLowerCase(), params });
      if (pattern.lastIndex >= header.length) break;
    }
  }
  return challenges;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Tokens live at least this long when the server does not say (distribution's token spec). */
const DEFAULT_TOKEN_SECONDS = 60;
/** Refresh a little early so a token does not expire between check and use. */
const EXPIRY_SLACK_MS = 1000;

/**
 * Turns a registry's challenge into an Authorization header for a scope: Basic
 * from credentials, or a Bearer token fetched from the realm and cached per scope
 * until it expires.
 */
export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly registry: string,
    private readonly http: HttpClient,
    private readonly challenge: Challenge | undefined,
    private readonly credentials: Credentials | undefined,
  ) {}

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  get hasCredentials(): boolean {
    return this.credentials !== undefined;
  }

  get username(): string | undefined {
    return this.credentials?.username;
  }

  invalidate(scope: string): void {
    this.tokens.delete(scope);
  }

  async authorization(scope: string | undefined, signal?: AbortSignal): Promise<string | undefined> {
    if (this.challenge === undefined) return undefined;
    if (this.challenge.scheme === 'basic') {
      if (this.credentials === undefined) {
        throw new BurrowError('UNAUTHORIZED', `${this.registry} requires a login: run "burrow login ${this.registry}"`);
      }
      return `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    }
    if (this.challenge.scheme === 'bearer') {
      const key = scope ?? '';
      const cached = this.tokens.get(key);
      if (cached !== undefined && cached.expiresAt - EXPIRY_SLACK_MS > Date.now()) return `Bearer ${cached.token}`;
      const fresh = await this.fetchToken(scope, signal);
      this.tokens.set(key, fresh);
      return `Bearer ${fresh.token}`;
    }
    throw new BurrowError('UNAUTHORIZED', `${this.registry} asks for "${this.challenge.scheme}" authentication, which burrow does not speak (Basic and Bearer only)`);
  }

  private async fetchToken(scope: string | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const realm = this.challenge?.params.realm;
    if (realm === undefined) throw new BurrowError('REGISTRY', `${this.registry} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new BurrowError('REGISTRY', `${this.registry} sent an invalid token realm "${realm}"`);
    }
    const service = this.challenge?.params.service;
    if (service !== undefined) url.searchParams.set('service', service);
    if (scope !== undefined) url.searchParams.set('scope', scope);
    if (this.credentials !== undefined) url.searchParams.set('account', this.credentials.username);
    const authorization = this.credentials === undefined ? undefined : `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
    const response = await this.http.send(url, { authorization, authHost: url.host, signal });
    if (response.status === 401 || response.status === 403) {
      await response.discard();
      throw new BurrowError('UNAUTHORIZED', `login to ${this.registry} failed for user "${this.credentials?.username ?? '(anonymous)'}": wrong username or password (run "burrow login ${this.registry}")`);
    }
    if (response.status !== 200) {
      const text = await response.text();
      throw new BurrowError('REGISTRY', `token server ${url.host} answered ${response.status}: ${text.slice(0, 200)}`, { retryable: response.status >= 500 || response.status === 429 });
    }
    let body: { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    try {
      body = JSON.parse(await response.text()) as typeof body;
    } catch {
      throw new BurrowError('REGISTRY', `token server ${url.host} sent a response that is not JSON`);
    }
    const token = body.token ?? body.access_token;
    if (token === undefined || token === '') throw new BurrowError('REGISTRY', `token server ${url.host} sent no token`);
    const issued = body.issued_at !== undefined ? Date.parse(body.issued_at) : Number.NaN;
    const base = Number.isFinite(issued) ? Math.min(issued, Date.now()) : Date.now();
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: base + seconds * 1000 };
  }
}
