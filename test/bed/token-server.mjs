// Minimal Docker registry token server (the protocol Docker Hub uses), for
// burrow's test bed. Node builtins only, so it starts fast and needs no install.
//
//   node token-server.mjs --port 5103 --key KEY.pem --cert CERT.pem \
//        --service burrow-test-registry --issuer burrow-test-issuer
//
// GET  /token?service=S&scope=repository:NAME:pull,push[&scope=...]  (optional Basic auth)
// POST /token  (OAuth2 form: grant_type=password, username, password, scope, service;
//               access_type=offline also returns a refresh_token, as Docker Hub does;
//               grant_type=refresh_token, refresh_token: what Docker keeps as `identitytoken`)
// GET  /stats          counts of token requests
// POST /stats/reset    zero the counts
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith('--')) acc.push([a.slice(2), all[i + 1]]);
    return acc;
  }, []),
);
const port = Number(args.port ?? 5103);
const host = args.host ?? '127.0.0.1';
const service = args.service ?? 'burrow-test-registry';
const issuer = args.issuer ?? 'burrow-test-issuer';
const privateKey = crypto.createPrivateKey(fs.readFileSync(args.key));
const certPem = fs.readFileSync(args.cert, 'utf8');
// x5c wants base64 (not url-safe) DER of the certificate.
const certDerB64 = new crypto.X509Certificate(certPem).raw.toString('base64');

const USERS = { alice: 'wonderland', bob: 'builder', eve: 'evilpass', shortlived: 'tick' };

// ACL. account '' is anonymous. Returns whether `action` on a resource is allowed.
function allowed(account, type, name, action) {
  if (account === 'alice') return true; // alice may do everything
  if (type !== 'repository') return false;
  const isPublic = name.startsWith('public/');
  const isPrivate = name.startsWith('private/');
  switch (account) {
    case '': return isPublic && action === 'pull';
    case 'bob': return (isPublic || isPrivate) && action === 'pull'; // never push
    case 'eve': return isPublic && action === 'pull'; // private/* denied
    case 'shortlived': return action === 'pull';
    default: return false;
  }
}

// "repository:name:pull,push" -> {type, name, actions}. Names never contain ':'
// but a registry host:port in a scope would, so split type first and actions last.
function parseScope(s) {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first < 0 || last <= first) return null;
  return {
    type: s.slice(0, first),
    name: s.slice(first + 1, last),
    actions: s.slice(last + 1).split(',').filter(Boolean),
  };
}

const b64url = (buf) => Buffer.from(buf).toString('base64url');

function makeJwt(account, access, lifetime) {
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'RS256', typ: 'JWT', x5c: [certDerB64] };
  const claims = {
    iss: issuer,
    sub: account,
    aud: service,
    exp: now + lifetime,
    nbf: now - 1,
    iat: now,
    jti: crypto.randomBytes(12).toString('hex'),
    access,
  };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = crypto.sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${b64url(sig)}`;
}

let stats;
function resetStats() { stats = { total: 0, byAccount: {}, requests: [] }; }
resetStats();
function record(entry) {
  stats.total += 1;
  stats.byAccount[entry.account] = (stats.byAccount[entry.account] ?? 0) + 1;
  stats.requests.push(entry);
}

function log(msg) { process.stdout.write(`${new Date().toISOString()} ${msg}\n`); }

function send(res, status, body, extra = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...extra });
  res.end(data);
}

// Refresh tokens name their account and carry an HMAC of it, so the server keeps no state.
const refreshSecret = crypto.randomBytes(32);
const refreshTokenFor = (account) => `rt.${account}.${crypto.createHmac('sha256', refreshSecret).update(account).digest('hex')}`;
function accountOfRefreshToken(token) {
  const match = /^rt\.([a-z]+)\.[0-9a-f]{64}$/.exec(token ?? '');
  return match !== null && refreshTokenFor(match[1]) === token ? match[1] : undefined;
}

// Handle one token request given credentials (or null) and scope strings.
function issue(res, creds, scopes, reqService, extra = {}) {
  let account = '';
  if (creds) {
    account = creds.user;
    if (USERS[creds.user] === undefined || USERS[creds.user] !== creds.pass) {
      record({ account, scopes, granted: [], status: 401 });
      log(`401 account=${account} scopes=${JSON.stringify(scopes)}`);
      return send(res, 401,
        { errors: [{ code: 'UNAUTHORIZED', message: 'invalid username or password' }], details: 'incorrect username or password' },
        { 'WWW-Authenticate': 'Basic realm="burrow-test-token"' });
    }
  }
  const access = [];
  for (const s of scopes) {
    const sc = parseScope(s);
    if (!sc) continue;
    const actions = sc.actions.filter((a) => allowed(account, sc.type, sc.name, a));
    // Like Docker Hub: a denied scope still yields an entry with no actions.
    const existing = access.find((a) => a.type === sc.type && a.name === sc.name);
    if (existing) existing.actions = [...new Set([...existing.actions, ...actions])];
    else access.push({ type: sc.type, name: sc.name, actions });
  }
  const lifetime = account === 'shortlived' ? 2 : 60;
  const token = makeJwt(account, access, lifetime);
  record({ account, scopes, granted: access, status: 200, ...(extra.grant === undefined ? {} : { grant: extra.grant }) });
  log(`200 account=${account || '(anonymous)'} service=${reqService ?? ''} scopes=${JSON.stringify(scopes)} granted=${JSON.stringify(access)}`);
  send(res, 200, { token, access_token: token, expires_in: lifetime, issued_at: new Date().toISOString(), ...(extra.offline ? { refresh_token: refreshTokenFor(account) } : {}) });
}

function basicCreds(req) {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return null;
  const dec = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const i = dec.indexOf(':');
  return i < 0 ? { user: dec, pass: '' } : { user: dec.slice(0, i), pass: dec.slice(i + 1) };
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', `http://${host}`);
  try {
    if (req.method === 'GET' && url.pathname === '/token') {
      return issue(res, basicCreds(req), url.searchParams.getAll('scope').flatMap((s) => s.split(' ')).filter(Boolean),
        url.searchParams.get('service'));
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        const f = new URLSearchParams(body);
        const scopes = (f.get('scope') ?? '').split(' ').filter(Boolean);
        if (f.get('grant_type') === 'refresh_token') {
          const account = accountOfRefreshToken(f.get('refresh_token'));
          if (account === undefined) {
            record({ account: '', scopes, granted: [], status: 400, grant: 'refresh_token' });
            return send(res, 400, { error: 'invalid_grant', error_description: 'unknown refresh token' });
          }
          return issue(res, { user: account, pass: USERS[account] }, scopes, f.get('service'), { grant: 'refresh_token' });
        }
        const creds = f.get('username') !== null ? { user: f.get('username'), pass: f.get('password') ?? '' } : basicCreds(req);
        issue(res, creds, scopes, f.get('service'), { grant: 'password', offline: f.get('access_type') === 'offline' });
      });
      return;
    }
    if (req.method === 'GET' && url.pathname === '/stats') return send(res, 200, stats);
    if (req.method === 'POST' && url.pathname === '/stats/reset') { resetStats(); return send(res, 200, stats); }
    send(res, 404, { errors: [{ code: 'NOT_FOUND', message: `no route ${req.method} ${url.pathname}` }] });
  } catch (err) {
    log(`500 ${err?.stack ?? err}`);
    send(res, 500, { errors: [{ code: 'INTERNAL', message: String(err) }] });
  }
});
server.listen(port, host, () => log(`token server listening on http://${host}:${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
