import { BurrowError } from '../errors.js';
import type { Credentials } from './credentials.js';
import { isLoopback } from './hosts.js';
import { oneLine, type HttpClient, type HttpResponse } from './http.js';

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
/** A token answer is a few KB of JSON; anything past this is refused unread. */
const MAX_TOKEN_BODY_BYTES = 1024 * 1024;
/** OAuth2 client id burrow names itself with (Docker sends "docker"). */
const OAUTH_CLIENT_ID = 'burrow';

export interface AuthenticatorOptions {
  /** The user listed the registry as insecure: its credentials may cross plain HTTP to its token server. */
  plainHttpCredentials?: boolean;
}

/**
 * Turns a registry's challenge into an Authorization header for a scope: Basic
 * from credentials, or a Bearer token from the realm, cached per scope until it
 * expires. With an identity token (config.json's `identitytoken`, what Docker
 * keeps after an OAuth login) the token comes from an OAuth2 POST with that
 * refresh token, as Docker does; otherwise from a GET with Basic credentials.
 */
export class Authenticator {
  private readonly tokens = new Map<string, CachedToken>();
  private refreshToken: string | undefined;

  constructor(
    private readonly registry: string,
    private readonly http: HttpClient,
    private readonly challenge: Challenge | undefined,
    private readonly credentials: Credentials | undefined,
    private readonly options: AuthenticatorOptions = {},
  ) {
    this.refreshToken = credentials?.identityToken;
  }

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
      if (this.credentials.identityToken !== undefined && this.credentials.password === '') {
        throw new BurrowError('UNAUTHORIZED', `${this.registry} asks for a password, but config.json holds only an identity token for it (usable with token servers only): run "burrow login ${this.registry}"`);
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
    throw new BurrowError('UNAUTHORIZED', `${this.registry} asks for "${oneLine(this.challenge.scheme, 40)}" authentication, which burrow does not speak (Basic and Bearer only)`);
  }

  private realm(): URL {
    const realm = this.challenge?.params.realm;
    if (realm === undefined) throw new BurrowError('REGISTRY', `${this.registry} sent a Bearer challenge without a realm`);
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new BurrowError('REGISTRY', `${this.registry} sent an invalid token realm "${oneLine(realm, 100)}"`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new BurrowError('REGISTRY', `${this.registry} sent a token realm that is not http or https (${url.protocol}): refusing it`);
    }
    return url;
  }

  /**
   * Credentials never cross plain HTTP, where anyone on the path reads them, unless
   * the token server is on this machine or the user listed the registry as insecure.
   */
  private checkPlainHttp(url: URL): void {
    if (url.protocol === 'http:' && this.credentials !== undefined && !isLoopback(url.host) && this.options.plainHttpCredentials !== true) {
      throw new BurrowError('UNAUTHORIZED', `${this.registry} sends logins to ${url.host} over plain HTTP, where they can be read on the way: refusing to send the credentials; list "${this.registry}" in insecureRegistries of burrow's config if you trust that network`);
    }
  }

  private async fetchToken(scope: string | undefined, signal?: AbortSignal): Promise<CachedToken> {
    const url = this.realm();
    this.checkPlainHttp(url);
    const service = this.challenge?.params.service;
    let response: HttpResponse;
    if (this.refreshToken !== undefined) {
      // Docker's OAuth2 refresh-token grant (distribution's token spec, "oauth").
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: this.refreshToken, client_id: OAUTH_CLIENT_ID });
      if (service !== undefined) form.set('service', service);
      if (scope !== undefined) form.set('scope', scope);
      response = await this.http.send(url, { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, signal });
    } else {
      if (service !== undefined) url.searchParams.set('service', service);
      if (scope !== undefined) url.searchParams.set('scope', scope);
      if (this.credentials !== undefined) url.searchParams.set('account', this.credentials.username);
      const authorization = this.credentials === undefined ? undefined : `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`;
      response = await this.http.send(url, { authorization, authOrigin: url.origin, signal });
    }
    if (response.status === 401 || response.status === 403 || (this.refreshToken !== undefined && response.status === 400)) {
      await response.discard();
      if (this.refreshToken !== undefined) {
        throw new BurrowError('UNAUTHORIZED', `token server ${url.host} refused the identity token for ${this.registry} from config.json (expired or revoked): run "burrow login ${this.registry}"`);
      }
      throw new BurrowError('UNAUTHORIZED', `login to ${this.registry} failed for user "${this.credentials?.username ?? '(anonymous)'}": wrong username or password (run "burrow login ${this.registry}")`);
    }
    if (response.status !== 200) {
      const text = oneLine((await response.head(200)).toString(), 200);
      throw new BurrowError('REGISTRY', `token server ${url.host} answered ${response.status}${text === '' ? '' : `: ${text}`}`, { retryable: response.status >= 500 || response.status === 429 });
    }
    const bytes = await response.bytes(MAX_TOKEN_BODY_BYTES, 'a token answer');
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown; issued_at?: unknown; refresh_token?: unknown };
    try {
      body = JSON.parse(bytes.toString()) as typeof body;
    } catch {
      throw new BurrowError('REGISTRY', `token server ${url.host} sent an answer that is not JSON`);
    }
    if (body === null || typeof body !== 'object') throw new BurrowError('REGISTRY', `token server ${url.host} sent an answer that is not a JSON object`);
    const token = typeof body.token === 'string' && body.token !== '' ? body.token : body.access_token;
    if (typeof token !== 'string' || token === '') throw new BurrowError('REGISTRY', `token server ${url.host} sent no token`);
    if (typeof body.refresh_token === 'string' && body.refresh_token !== '' && this.refreshToken !== undefined) this.refreshToken = body.refresh_token;
    const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : Number.NaN;
    const base = Number.isFinite(issued) ? Math.min(issued, Date.now()) : Date.now();
    const seconds = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_SECONDS;
    return { token, expiresAt: base + seconds * 1000 };
  }
}
