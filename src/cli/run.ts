import { existsSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import type { AttachedStreams } from '../container/start.js';
import { BurrowError } from '../errors.js';
import type { CreateOptions, PullPolicy } from '../container/create.js';
import type { RestartPolicy } from '../container/record.js';
import type { RootfsDriverName } from '../sandbox/plan.js';
import type { MountRequest } from '../container/create.js';
import { parseDetachKeys, parseDevice, parseLabels, parseLogMaxFiles, parseLogOptions, parseMount, parseStopSignal, parseStopTimeoutFlag, parseUlimit, parseVolume, readEnvFile } from '../container/specs.js';
import { parsePlatform } from '../image/platform.js';
import type { LogDriver } from '../container/record.js';
import { parseSecurityOptions } from '../sandbox/security.js';
import { parseUserns } from '../userns/keep-id.js';
import { action } from './action.js';
import { parseNetworkMode } from '../network/mode.js';
import { parseExpose, parsePublish } from '../network/ports.js';
import { limitModeFromFlags, limitsFromFlags, withLimitModeOptions, withLimitOptions, type LimitModeFlags } from './limits.js';
import type { LimitFlags } from '../container/limits.js';
import { healthFromFlags, type HealthFlags } from '../container/health-config.js';

export interface RunFlags extends LimitFlags, LimitModeFlags, HealthFlags {
  env: string[];
  envFile: string[];
  volume: string[];
  mount: string[];
  tmpfs: string[];
  workdir?: string;
  user?: string;
  name?: string;
  hostname?: string;
  entrypoint?: string;
  network?: string;
  addHost: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOption: string[];
  macAddress?: string;
  publish: string[];
  publishAll?: boolean;
  expose: string[];
  networkAlias: string[];
  readOnly?: boolean;
  init?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  capAdd: string[];
  capDrop: string[];
  label: string[];
  storageDriver?: string;
  privileged?: boolean;
  securityOpt: string[];
  restart: string;
  logOpt: string[];
  userns?: string;
  quiet?: boolean;
  attach: string[];
  pull: string;
  platform?: string;
  ulimit: string[];
  oomScoreAdj?: string;
  stopSignal?: string;
  stopTimeout?: string;
  detachKeys?: string;
  cidfile?: string;
  groupAdd: string[];
  device: string[];
  logDriver: string;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** The flags `run` and `create` share, as Docker's. */
export function withContainerOptions(command: Command): Command {
  const withOthers = command
    .argument('<image>', 'image to run (pulled when missing)')
    .argument('[command...]', "command and arguments (default: the image's Entrypoint and Cmd)")
    .passThroughOptions()
    .option('-e, --env <NAME=value>', 'set an environment variable (repeatable)', collect, [])
    .option('--env-file <file>', 'read environment variables from a file', collect, [])
    .option('-v, --volume <host:container[:ro]>', 'bind-mount a host path', collect, [])
    .option('--mount <spec>', 'type=bind,source=…,target=…[,readonly] or type=tmpfs,target=…', collect, [])
    .option('--tmpfs <path>', 'mount a tmpfs', collect, [])
    .option('-w, --workdir <dir>', 'working directory inside the container')
    .option('-u, --user <user[:group]>', 'user name or uid, optionally with group')
    .option('--name <name>', 'container name')
    .option('-h, --hostname <name>', 'container host name')
    .option('--entrypoint <command>', "override the image's entrypoint")
    .option('--net, --network <mode>', 'bridge (default: a private network through pasta or slirp4netns), none, host, pasta[:OPTIONS], slirp4netns[:OPTIONS], container:NAME or a network\'s name')
    .option('--add-host <name:address>', 'add a line to /etc/hosts (address host-gateway: the host, from inside)', collect, [])
    .option('--dns <address>', 'a nameserver for /etc/resolv.conf (repeatable)', collect, [])
    .option('--dns-search <domain>', 'a search domain for /etc/resolv.conf (repeatable)', collect, [])
    .option('--dns-option <option>', 'an option for /etc/resolv.conf (repeatable)', collect, [])
    .option('--mac-address <mac>', 'the MAC address of the container\'s interface')
    .option('-p, --publish <[ip:][hostPort:]containerPort[/proto]>', 'publish a container port on the host (repeatable)', collect, [])
    .option('-P, --publish-all', 'publish the image\'s exposed ports on free host ports')
    .option('--expose <port[-end][/proto]>', 'expose a port (published by -P) beside the image\'s (repeatable)', collect, [])
    .option('--network-alias <alias>', 'another name of the container on a user-defined network', collect, [])
    .option('--read-only', 'mount the root file system read-only')
    .option('--init', 'run a minimal init as PID 1 (reaps zombies, forwards signals)')
    .option('-i, --interactive', 'keep standard input open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('--rm', 'remove the container when it exits')
    .option('--restart <policy>', 'no, always or on-failure[:N] (kept by the monitor of a detached container)', 'no')
    .option('--cap-add <cap>', 'add a capability', collect, [])
    .option('--cap-drop <cap>', 'drop a capability', collect, [])
    .option('-l, --label <key=value>', 'set a label', collect, [])
    .option('--storage-driver <driver>', 'overlay, fuse-overlayfs or copy (default: the first that works)')
    .option('--privileged', 'all capabilities, no seccomp filter, /proc unmasked (still inside the user namespace)')
    .option('--security-opt <option>', 'seccomp=unconfined, seccomp=PROFILE.json (Docker\'s format) or no-new-privileges', collect, [])
    .option('--userns <mode>', 'keep-id[:uid=N,gid=N]: your uid and gid are themselves inside (default: you are root inside)')
    .option('--log-opt <key=value>', 'json-file log option: max-size=10m (rotation size; fractions such as 1.5m too), max-file=N (files kept, 2 by default)', collect, [])
    .option('--log-driver <driver>', 'json-file (the default: logs reads it) or none (a detached container\'s output is dropped)', 'json-file')
    .option('-q, --quiet', 'no notes about pulling the image')
    .option('-a, --attach <stream>', 'attach only these of stdin, stdout, stderr (repeatable)', collect, [])
    .option('--pull <policy>', 'pull the image: missing (the default), always or never', 'missing')
    .option('--platform <os/arch[/variant]>', "the image's platform (pulled for it; a stored image of another is refused)")
    .option('--ulimit <name=soft[:hard]>', 'a resource limit such as nofile=1024:2048 (repeatable; a rootless container can lower limits, not raise them above the host\'s)', collect, [])
    .option('--oom-score-adj <score>', 'the OOM killer\'s score adjustment, -1000..1000 (a rootless container can only raise it)')
    .option('--stop-signal <signal>', 'the signal stop sends first (default: the image\'s StopSignal, else SIGTERM)')
    .option('--stop-timeout <seconds>', 'seconds stop and restart wait before SIGKILL when -t is not given (default 10; -1: for ever)')
    .option('--detach-keys <keys>', 'accepted for Docker compatibility (burrow never reads keys from the terminal: a foreground container lives with burrow)')
    .option('--cidfile <file>', 'write the container id to this file (which must not exist)')
    .option('--group-add <group>', 'a further supplementary group: a gid or a name from the image\'s /etc/group (repeatable)', collect, [])
    .option('--device <host[:container][:rwm]>', 'bind a host device node your user may open (repeatable)', collect, []);
  return withHealthOptions(withLimitModeOptions(withLimitOptions(withOthers)));
}

/** Docker's health-check flags (container/health-config.ts parses them). */
function withHealthOptions(command: Command): Command {
  return command
    .option('--health-cmd <command>', 'command that checks the container\'s health (run by /bin/sh -c; or a JSON list run as it is)')
    .option('--health-interval <duration>', 'time between checks (default 30s)')
    .option('--health-timeout <duration>', 'time a check may take before it counts as failed (default 30s)')
    .option('--health-retries <n>', 'failures in a row that make the container unhealthy (default 3)')
    .option('--health-start-period <duration>', 'time to start up, in which failures do not count (default 0s)')
    .option('--health-start-interval <duration>', 'time between checks during the start period (default 5s)')
    .option('--no-healthcheck', "disable the image's HEALTHCHECK");
}

export function createOptions(image: string, command: string[], flags: RunFlags, signal: AbortSignal, stderr: NodeJS.WriteStream): CreateOptions {
  // Checked here already, so a wrong mode is one line before any image is pulled.
  parseNetworkMode(flags.network);
  if (flags.storageDriver !== undefined && !['overlay', 'fuse-overlayfs', 'copy'].includes(flags.storageDriver)) {
    throw new BurrowError('INVALID_ARGUMENT', `unknown --storage-driver "${flags.storageDriver}": use overlay, fuse-overlayfs or copy`);
  }
  if (!/^(no|always|on-failure(:\d+)?)$/.test(flags.restart)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --restart "${flags.restart}": use no, always or on-failure[:N]`);
  }
  if (flags.tty === true && flags.interactive === true && process.stdin.isTTY !== true) {
    throw new BurrowError('INVALID_ARGUMENT', 'the input device is not a TTY: drop -t, or run burrow from a terminal');
  }
  const logMaxSize = parseLogOptions(flags.logOpt);
  if (flags.logDriver !== 'json-file' && flags.logDriver !== 'none') throw new BurrowError('INVALID_ARGUMENT', `unsupported --log-driver "${flags.logDriver}": use json-file or none`);
  if (!['always', 'missing', 'never'].includes(flags.pull)) throw new BurrowError('INVALID_ARGUMENT', `invalid --pull "${flags.pull}": use always, missing or never`);
  if (flags.detachKeys !== undefined) parseDetachKeys(flags.detachKeys);
  const oomScoreAdj = flags.oomScoreAdj === undefined ? undefined : Number(flags.oomScoreAdj);
  if (oomScoreAdj !== undefined && (!/^-?\d+$/.test(flags.oomScoreAdj!) || oomScoreAdj < -1000 || oomScoreAdj > 1000)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --oom-score-adj "${flags.oomScoreAdj}": give a whole number from -1000 to 1000`);
  }
  const logMaxFiles = parseLogMaxFiles(flags.logOpt);
  const limits = limitsFromFlags(flags);
  const limitMode = limitModeFromFlags(flags, limits);
  const labels = parseLabels(flags.label);
  return {
    image,
    command,
    entrypoint: flags.entrypoint === undefined ? undefined : flags.entrypoint === '' ? [] : [flags.entrypoint],
    env: [...flags.envFile.flatMap(readEnvFile), ...flags.env],
    workdir: flags.workdir,
    user: flags.user,
    name: flags.name,
    hostname: flags.hostname,
    network: flags.network,
    ports: flags.publish.flatMap(parsePublish),
    publishAll: flags.publishAll === true,
    expose: flags.expose.flatMap(parseExpose),
    macAddress: flags.macAddress,
    networkAliases: flags.networkAlias,
    names: { extraHosts: flags.addHost, dns: flags.dns, dnsSearch: flags.dnsSearch, dnsOptions: flags.dnsOption },
    volumes: [...flags.volume.map(parseVolume), ...flags.mount.map(parseMount), ...flags.tmpfs.map((target): MountRequest => ({ kind: 'tmpfs', target }))],
    readOnly: flags.readOnly === true,
    init: flags.init === true,
    interactive: flags.interactive === true,
    tty: flags.tty === true,
    remove: flags.rm === true,
    restart: flags.restart as RestartPolicy,
    logMaxSize,
    logMaxFiles,
    capAdd: flags.capAdd,
    capDrop: flags.capDrop,
    labels,
    storageDriver: flags.storageDriver as RootfsDriverName | undefined,
    security: parseSecurityOptions(flags.securityOpt, flags.privileged === true),
    userns: flags.userns === undefined ? undefined : parseUserns(flags.userns),
    limits,
    limitMode,
    healthcheck: healthFromFlags(flags),
    quiet: flags.quiet === true,
    pull: flags.pull as PullPolicy,
    platform: flags.platform === undefined ? undefined : parsePlatform(flags.platform),
    ulimits: flags.ulimit.map(parseUlimit),
    oomScoreAdj,
    stopSignal: flags.stopSignal === undefined ? undefined : parseStopSignal(flags.stopSignal),
    stopTimeout: flags.stopTimeout === undefined ? undefined : parseStopTimeoutFlag(flags.stopTimeout),
    groupAdd: flags.groupAdd,
    devices: flags.device.map(parseDevice),
    logDriver: flags.logDriver as LogDriver,
    signal,
    onNote: (text) => stderr.write(`${text}\n`),
  };
}

/** `-a stdout -a stderr`: the streams named (none named: all three, as Docker). */
function attachedStreams(names: string[]): AttachedStreams | undefined {
  if (names.length === 0) return undefined;
  for (const name of names) {
    if (!['stdin', 'stdout', 'stderr'].includes(name.toLowerCase())) throw new BurrowError('INVALID_ARGUMENT', `invalid -a "${name}": use stdin, stdout or stderr`);
  }
  const named = new Set(names.map((name) => name.toLowerCase()));
  return { stdin: named.has('stdin'), stdout: named.has('stdout'), stderr: named.has('stderr') };
}

/**
 * `--cidfile FILE`: refused before anything is created if the file exists (as
 * Docker: it may belong to a container still running); written once the
 * container exists, so a script can `kill $(cat FILE)` while it runs.
 */
export function cidFileWriter(path: string | undefined): ((record: { id: string }) => void) | undefined {
  if (path === undefined) return undefined;
  if (existsSync(path)) throw new BurrowError('INVALID_ARGUMENT', `container ID file found, make sure the other container isn't running or delete ${path}`);
  return (record) => {
    try {
      writeFileSync(path, record.id, { flag: 'wx' });
    } catch (error) {
      throw new BurrowError('IO', `cannot write --cidfile ${path}: ${(error as Error).message}`);
    }
  };
}

export function runCommand(signal: AbortSignal, setExit: (code: number) => void): Command {
  return withContainerOptions(new Command('run').description('Run a command in a new container'))
    .option('-d, --detach', 'run in the background and print the container id')
    .action(
      action<RunFlags & { detach?: boolean }>(signal, setExit, async (context, [image, ...command], flags) => {
        if (flags.detach === true && flags.rm === true && flags.restart !== 'no') {
          throw new BurrowError('INVALID_ARGUMENT', '--rm and --restart exclude each other');
        }
        if (flags.detach === true && flags.attach.length > 0) throw new BurrowError('INVALID_ARGUMENT', 'conflicting options: -a and -d (a detached container is attached to nothing)');
        const options = createOptions(image!, command, flags, context.signal, context.stderr);
        const { runContainer } = await import('../container/run.js');
        const streams = attachedStreams(flags.attach);
        const writeCidFile = cidFileWriter(flags.cidfile);
        // Docker's run prints the new container's id when its output is not attached
        // (`-a stdin` alone): the one thing a script could learn from the command.
        const printId = streams !== undefined && !streams.stdout && !streams.stderr;
        const onCreated = (record: { id: string }): void => {
          writeCidFile?.(record);
          if (printId) context.stdout.write(`${record.id}\n`);
        };
        const result = await runContainer(context.store(), { ...options, detach: flags.detach === true, streams, onCreated });
        if (result.exitCode === undefined) {
          context.stdout.write(`${result.id}\n`);
          return 0;
        }
        return result.exitCode;
      }),
    );
}
