import { readFileSync } from 'node:fs';
import type { NameSettings } from './types.js';

/**
 * The container's /etc/resolv.conf: the nameserver that answers from inside its
 * network (pasta's forwarder, slirp4netns's, or the host's own for `host`),
 * replaced by --dns; the host's `search` and `options` kept as Docker keeps them,
 * replaced by --dns-search and extended by --dns-option.
 */
export interface ResolvInput {
  /** The nameservers of the mode ([] for none: nothing answers there). */
  nameservers: string[];
  names: NameSettings;
  /** The host's resolv.conf text (read once by the caller). */
  host: string;
}

/** The host's /etc/resolv.conf, or '' when there is none. */
export function hostResolvConf(path = '/etc/resolv.conf'): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function hostWords(host: string, keyword: string): string[] {
  return host.split('\n').flatMap((line) => {
    const words = line.trim().split(/\s+/);
    return words[0] === keyword ? words.slice(1) : [];
  });
}

export function resolvConf({ nameservers, names, host }: ResolvInput): string {
  const servers = names.dns.length > 0 ? names.dns : nameservers;
  const search = names.dnsSearch.length > 0 ? names.dnsSearch.filter((domain) => domain !== '.') : hostWords(host, 'search');
  const options = [...hostWords(host, 'options').filter((option) => !names.dnsOptions.some((given) => given.split(':')[0] === option.split(':')[0])), ...names.dnsOptions];
  return [
    ...(search.length > 0 ? [`search ${search.join(' ')}`] : []),
    ...servers.map((server) => `nameserver ${server}`),
    ...(options.length > 0 ? [`options ${options.join(' ')}`] : []),
  ].map((line) => `${line}\n`).join('');
}
