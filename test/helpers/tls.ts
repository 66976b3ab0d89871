import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execaSync } from 'execa';

/** PEM files of a throw-away certificate authority and what it signs (openssl, for TLS tests). */
export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
}

function openssl(args: string[], cwd: string): void {
  execaSync('openssl', args, { cwd, stdio: 'ignore' });
}

export function makeCa(dir: string, name = 'burrow test CA'): Pki {
  mkdirSync(dir, { recursive: true });
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-keyout', 'ca.key', '-out', 'ca.crt',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  return { dir, caCert: join(dir, 'ca.crt'), caKey: join(dir, 'ca.key') };
}

/** A certificate signed by `ca`: for a server (`dnsNames`, `ips`) or a client. Returns its cert and key as PEM. */
export function issue(ca: Pki, name: string, options: { dnsNames?: string[]; ips?: string[]; client?: boolean } = {}): { cert: string; key: string } {
  const san = [...(options.dnsNames ?? []).map((dns) => `DNS:${dns}`), ...(options.ips ?? []).map((ip) => `IP:${ip}`)].join(',');
  const ext = join(ca.dir, `${name}.ext`);
  const usage = options.client === true ? 'extendedKeyUsage=clientAuth' : 'extendedKeyUsage=serverAuth';
  execaSync('sh', ['-c', `printf '%s\\n' "$1" "$2" > "$3"`, 'sh', usage, san === '' ? '' : `subjectAltName=${san}`, ext]);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`], ca.dir);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-sha256', '-extfile', ext, '-out', `${name}.crt`], ca.dir);
  return { cert: readFileSync(join(ca.dir, `${name}.crt`), 'utf8'), key: readFileSync(join(ca.dir, `${name}.key`), 'utf8') };
}
