/**
 * The `options` input: `burrow run` flags as one string. It is split into words as a
 * shell would quote them (single and double quotes, backslashes), but nothing is
 * expanded and nothing runs: no variables, globs, `$(…)` or redirections reach a
 * shell on the host. The flags are a documented subset of `run`'s (README, "The GitHub
 * Action"), parsed into the library's run options by the library's own parsers
 * (volumes, mounts, limits, security options, ports).
 */
import { BurrowError } from '../errors.js';
import type { CreateOptions, MountRequest } from '../container/create.js';
import type { LimitFlags } from '../container/limits.js';
import { parseLimitMode, parseLimits } from '../container/limits.js';
import { parseSecurityOptions } from '../sandbox/security.js';
import { parseNetworkMode } from '../network/mode.js';
import { parseExpose, parsePublish } from '../network/ports.js';
import { parseMount, parseVolume } from '../container/specs.js';
import type { RootfsDriverName } from '../sandbox/plan.js';

/** Words of `text`, quoted as in sh; an unclosed quote is an error. */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let at = 0; at < text.length; at++) {
    const char = text[at]!;
    if (quote === "'") {
      if (char === "'") quote = undefined;
      else word = (word ?? '') + char;
    } else if (quote === '"') {
      if (char === '"') quote = undefined;
      else if (char === '\\' && at + 1 < text.length && '"\\$`'.includes(text[at + 1]!)) word = (word ?? '') + text[++at]!;
      else word = (word ?? '') + char;
    } else if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
    } else if (char === '\\' && at + 1 < text.length) {
      if (text[at + 1] === '\n') at++;
      else word = (word ?? '') + text[++at];
    } else if (/\s/.test(char)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else {
      word = (word ?? '') + char;
    }
  }
  if (quote !== undefined) throw new BurrowError('INVALID_ARGUMENT', `options: a ${quote === '"' ? 'double' : 'single'} quote is not closed`);
  if (word !== undefined) words.push(word);
  return words;
}

/** What `options` may set: the run options beside the ones the Action decides itself. */
export type OptionSettings = Partial<Pick<CreateOptions,
  'env' | 'volumes' | 'workdir' | 'user' | 'hostname' | 'network' | 'ports' | 'publishAll' | 'expose' | 'names' | 'readOnly' | 'init' |
  'capAdd' | 'capDrop' | 'labels' | 'storageDriver' | 'security' | 'entrypoint'>> & {
  limitFlags: LimitFlags;
  cgroups?: string;
  ignoreMissingLimits: boolean;
};

type Flag = { takes: true; set: (settings: Mutable, value: string) => void } | { takes: false; set: (settings: Mutable) => void };

interface Mutable {
  env: string[];
  volumes: MountRequest[];
  workdir?: string;
  user?: string;
  hostname?: string;
  network?: string;
  publish: string[];
  publishAll: boolean;
  expose: string[];
  addHost: string[];
  dns: string[];
  readOnly: boolean;
  init: boolean;
  capAdd: string[];
  capDrop: string[];
  labels: Record<string, string>;
  storageDriver?: string;
  securityOpt: string[];
  privileged: boolean;
  entrypoint?: string;
  limitFlags: LimitFlags;
  cgroups?: string;
  ignoreMissingLimits: boolean;
}

const value = (set: (settings: Mutable, value: string) => void): Flag => ({ takes: true, set });
const toggle = (set: (settings: Mutable) => void): Flag => ({ takes: false, set });
const limit = (key: keyof LimitFlags): Flag => value((settings, text) => { settings.limitFlags[key] = text; });

/** The subset of `burrow run`'s flags the Action takes, by every spelling run accepts. */
const FLAGS: Record<string, Flag> = {
  '-e': value((s, v) => s.env.push(v)), '--env': value((s, v) => s.env.push(v)),
  '-v': value((s, v) => s.volumes.push(parseVolume(v))), '--volume': value((s, v) => s.volumes.push(parseVolume(v))),
  '--mount': value((s, v) => s.volumes.push(parseMount(v))),
  '--tmpfs': value((s, v) => s.volumes.push({ kind: 'tmpfs', target: v })),
  '-w': value((s, v) => { s.workdir = v; }), '--workdir': value((s, v) => { s.workdir = v; }),
  '-u': value((s, v) => { s.user = v; }), '--user': value((s, v) => { s.user = v; }),
  '-h': value((s, v) => { s.hostname = v; }), '--hostname': value((s, v) => { s.hostname = v; }),
  '--entrypoint': value((s, v) => { s.entrypoint = v; }),
  '--network': value((s, v) => { s.network = v; }), '--net': value((s, v) => { s.network = v; }),
  '-p': value((s, v) => s.publish.push(v)), '--publish': value((s, v) => s.publish.push(v)),
  '-P': toggle((s) => { s.publishAll = true; }), '--publish-all': toggle((s) => { s.publishAll = true; }),
  '--expose': value((s, v) => s.expose.push(v)),
  '--add-host': value((s, v) => s.addHost.push(v)),
  '--dns': value((s, v) => s.dns.push(v)),
  '--read-only': toggle((s) => { s.readOnly = true; }),
  '--init': toggle((s) => { s.init = true; }), // The Action's container has it anyway.
  '--cap-add': value((s, v) => s.capAdd.push(v)), '--cap-drop': value((s, v) => s.capDrop.push(v)),
  '-l': value((s, v) => label(s, v)), '--label': value((s, v) => label(s, v)),
  '--storage-driver': value((s, v) => { s.storageDriver = v; }),
  '--security-opt': value((s, v) => s.securityOpt.push(v)),
  '--privileged': toggle((s) => { s.privileged = true; }),
  '-m': limit('memory'), '--memory': limit('memory'), '--memory-swap': limit('memorySwap'), '--memory-reservation': limit('memoryReservation'),
  '--cpus': limit('cpus'), '-c': limit('cpuShares'), '--cpu-shares': limit('cpuShares'), '--cpu-weight': limit('cpuWeight'),
  '--cpuset-cpus': limit('cpusetCpus'), '--pids-limit': limit('pidsLimit'), '--blkio-weight': limit('blkioWeight'),
  '--cgroups': value((s, v) => { s.cgroups = v; }),
  '--ignore-missing-limits': toggle((s) => { s.ignoreMissingLimits = true; }),
};

/** Flags that make no sense in a step: the Action decides these itself, or a step has no terminal. */
const REFUSED: Record<string, string> = {
  '-d': 'a step waits for its container', '--detach': 'a step waits for its container',
  '-t': 'a step has no terminal', '--tty': 'a step has no terminal', '-i': 'a step has no input', '--interactive': 'a step has no input',
  '--rm': 'the Action always removes its container', '--name': 'the Action names its container', '--restart': 'a step runs once',
};

function label(settings: Mutable, text: string): void {
  const at = text.indexOf('=');
  settings.labels[at < 0 ? text : text.slice(0, at)] = at < 0 ? '' : text.slice(at + 1);
}

/** `options` as run settings; one line naming the flag when one is not taken. */
export function parseRunOptions(text: string): OptionSettings {
  const settings: Mutable = {
    env: [], volumes: [], publish: [], publishAll: false, expose: [], addHost: [], dns: [], readOnly: false, init: false,
    capAdd: [], capDrop: [], labels: {}, securityOpt: [], privileged: false, limitFlags: {}, ignoreMissingLimits: false,
  };
  const words = splitWords(text);
  for (let at = 0; at < words.length; at++) {
    const word = words[at]!;
    const equals = word.startsWith('--') ? word.indexOf('=') : -1;
    const name = equals < 0 ? word : word.slice(0, equals);
    if (REFUSED[name] !== undefined) throw new BurrowError('INVALID_ARGUMENT', `options: ${name} is not taken (${REFUSED[name]})`);
    const flag = FLAGS[name];
    if (flag === undefined) {
      throw new BurrowError('INVALID_ARGUMENT', `options: "${word}" is not one of the run flags the Action takes (see the README's "The GitHub Action"): use the inputs for the image and the script`);
    }
    if (!flag.takes) {
      if (equals >= 0) throw new BurrowError('INVALID_ARGUMENT', `options: ${name} takes no value`);
      flag.set(settings);
      continue;
    }
    const given = equals >= 0 ? word.slice(equals + 1) : words[++at];
    if (given === undefined) throw new BurrowError('INVALID_ARGUMENT', `options: ${name} needs a value`);
    flag.set(settings, given);
  }
  parseNetworkMode(settings.network);
  if (settings.storageDriver !== undefined && !['overlay', 'fuse-overlayfs', 'copy'].includes(settings.storageDriver)) {
    throw new BurrowError('INVALID_ARGUMENT', `options: unknown --storage-driver "${settings.storageDriver}": use overlay, fuse-overlayfs or copy`);
  }
  return {
    env: settings.env,
    volumes: settings.volumes,
    workdir: settings.workdir,
    user: settings.user,
    hostname: settings.hostname,
    network: settings.network,
    ports: settings.publish.flatMap(parsePublish),
    publishAll: settings.publishAll,
    expose: settings.expose.flatMap(parseExpose),
    names: { extraHosts: settings.addHost, dns: settings.dns, dnsSearch: [], dnsOptions: [] },
    readOnly: settings.readOnly,
    init: settings.init,
    capAdd: settings.capAdd,
    capDrop: settings.capDrop,
    labels: settings.labels,
    storageDriver: settings.storageDriver as RootfsDriverName | undefined,
    security: parseSecurityOptions(settings.securityOpt, settings.privileged),
    entrypoint: settings.entrypoint === undefined ? undefined : settings.entrypoint === '' ? [] : [settings.entrypoint],
    limitFlags: settings.limitFlags,
    cgroups: settings.cgroups,
    ignoreMissingLimits: settings.ignoreMissingLimits,
  };
}

/** The limit flags of `options` with the `memory`, `cpus` and `pids-limit` inputs over them, as the library's limits. */
export function runLimits(flags: LimitFlags, inputs: { memory?: string; cpus?: string; pidsLimit?: string }, cgroups: string | undefined, ignoreMissing: boolean) {
  const merged: LimitFlags = { ...flags };
  if (inputs.memory !== undefined) merged.memory = inputs.memory;
  if (inputs.cpus !== undefined) merged.cpus = inputs.cpus;
  if (inputs.pidsLimit !== undefined) merged.pidsLimit = inputs.pidsLimit;
  const limits = parseLimits(merged);
  return { limits, limitMode: parseLimitMode(cgroups, ignoreMissing, limits) };
}
