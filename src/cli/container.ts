import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { shortId } from '../util/digest.js';
import { action } from './action.js';
import { table, timeAgo } from './format.js';
import { limitsFromFlags, withLimitOptions } from './limits.js';
import type { LimitFlags } from '../container/limits.js';

type Exit = (code: number) => void;

/**
 * Acts on every container at once; one failure does not stop the others, and the
 * first error is reported once all are done (Docker's behaviour for stop and rm).
 */
async function forEach(names: string[], act: (name: string) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(names.map(act));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function statusText(status: string, exitCode: number | undefined, startedAt: string | undefined, finishedAt: string | undefined, paused = false): string {
  if (status === 'running') return `Up ${timeAgo(startedAt).replace(/ ago$/, '')}${paused ? ' (Paused)' : ''}`;
  if (status === 'created') return 'Created';
  return `Exited (${exitCode ?? -1}) ${timeAgo(finishedAt)}`;
}

export function psCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('ps')
    .description('List containers')
    .option('-a, --all', 'show all containers (default: running ones)')
    .option('-q, --quiet', 'only show ids')
    .option('--no-trunc', 'do not truncate ids')
    .option('-f, --filter <key=value>', 'filter: name=, status=, label=, id=, ancestor=, health=', collect, [])
    .option('--format <format>', 'table (default) or json')
    .action(
      action<{ all?: boolean; quiet?: boolean; trunc: boolean; filter: string[]; format?: string }>(signal, setExit, async (context, _args, flags) => {
        const { listContainers, publishedPorts } = await import('../container/ops.js');
        const { healthSuffix, matchesHealthFilter } = await import('../container/health.js');
        const { portsColumn } = await import('../network/ports.js');
        let containers = listContainers(context.store(), flags.all === true || flags.filter.some((filter) => filter.startsWith('status=')));
        for (const filter of flags.filter) {
          const at = filter.indexOf('=');
          const [key, value] = at < 0 ? [filter, ''] : [filter.slice(0, at), filter.slice(at + 1)];
          containers = containers.filter(({ record, state }) => {
            switch (key) {
              case 'name': return record.name.includes(value);
              case 'id': return record.id.startsWith(value);
              case 'status': return state.status === value;
              case 'ancestor': return record.image.name.includes(value) || record.image.id.includes(value);
              case 'health': return matchesHealthFilter(context.store(), record, state, value);
              case 'label': {
                const eq = value.indexOf('=');
                return eq < 0 ? value in record.labels : record.labels[value.slice(0, eq)] === value.slice(eq + 1);
              }
              default: throw new BurrowError('INVALID_ARGUMENT', `unknown filter "${key}": use name, id, status, label, ancestor or health`);
            }
          });
        }
        const id = (full: string): string => (flags.trunc ? shortId(full) : full);
        if (flags.quiet === true) {
          context.stdout.write(containers.map(({ record }) => `${id(record.id)}\n`).join(''));
          return;
        }
        if (flags.format === 'json') {
          context.stdout.write(`${JSON.stringify(containers.map(({ record, state }) => ({
            Id: record.id, Names: record.name, Image: record.image.name, Command: record.plan.process.args.join(' '), CreatedAt: record.created,
            State: state.status, Status: statusText(state.status, state.exitCode, state.startedAt, state.finishedAt, state.paused) + healthSuffix(context.store(), record, state), Paused: state.paused, ExitCode: state.exitCode, Pid: state.sandbox?.pid, Labels: record.labels,
            Ports: portsColumn(publishedPorts(context.store(), record, state)),
          })), null, 2)}\n`);
          return;
        }
        const rows = containers.map(({ record, state }) => [id(record.id), record.image.name, JSON.stringify(record.plan.process.args.join(' ').slice(0, 30)), timeAgo(record.created), statusText(state.status, state.exitCode, state.startedAt, state.finishedAt, state.paused) + healthSuffix(context.store(), record, state), portsColumn(publishedPorts(context.store(), record, state)), record.name]);
        context.stdout.write(`${table(['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'], rows)}\n`);
      }),
    );
}

export function containerCommands(signal: AbortSignal, setExit: Exit): Command[] {
  const start = new Command('start')
    .description('Start created or stopped containers')
    .argument('<container...>')
    .option('-a, --attach', "attach to the container's output (and input, if created with -i); its exit status")
    .option('-i, --interactive', 'accepted for Docker compatibility: input is attached when the container was created with -i')
    .action(action<{ attach?: boolean }>(signal, setExit, async (context, names, flags) => {
      const { findContainer } = await import('../container/record.js');
      const { startDetached } = await import('../container/start.js');
      const { attachContainer } = await import('../container/attach.js');
      const { followLogs, waitContainer } = await import('../container/ops.js');
      const store = context.store();
      let code = 0;
      for (const name of names) {
        const record = findContainer(store, name);
        await startDetached(store, record, { onNote: (note) => context.stderr.write(`${note}\n`) });
        if (flags.attach !== true) {
          context.stdout.write(`${name}\n`);
          continue;
        }
        if (record.plan.process.stdin || record.tty) {
          code = await attachContainer(store, record.id, { signal: context.signal });
          continue;
        }
        // Output only: follow the log from its first line, so nothing printed before
        // this process caught up is lost, with stdout and stderr kept apart.
        await followLogs(store, record, 0, (entries) => {
          for (const entry of entries) (entry.stream === 'stderr' ? context.stderr : context.stdout).write(entry.log);
        }, context.signal);
        code = await waitContainer(store, record.id, context.signal);
      }
      return code;
    }));

  const stop = new Command('stop')
    .description('Stop running containers (StopSignal, then SIGKILL after the timeout)')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', '10')
    .action(action<{ time: string }>(signal, setExit, async (context, names, flags) => {
      const { stopContainer } = await import('../container/ops.js');
      const seconds = Number(flags.time);
      if (!Number.isFinite(seconds) || seconds < 0) throw new BurrowError('INVALID_ARGUMENT', `invalid --time "${flags.time}": give seconds`);
      // In parallel, as Docker: fifty containers that ignore SIGTERM take one timeout, not fifty.
      await forEach(names, async (name) => {
        await stopContainer(context.store(), name, seconds);
        context.stdout.write(`${name}\n`);
      });
    }));

  const kill = new Command('kill')
    .description('Send a signal to running containers')
    .argument('<container...>')
    .option('-s, --signal <signal>', 'signal to send', 'SIGKILL')
    .action(action<{ signal: string }>(signal, setExit, async (context, names, flags) => {
      const { killContainer } = await import('../container/ops.js');
      for (const name of names) {
        await killContainer(context.store(), name, flags.signal);
        context.stdout.write(`${name}\n`);
      }
    }));

  const rm = new Command('rm')
    .description('Remove containers')
    .argument('<container...>')
    .option('-f, --force', 'kill a running container first')
    .option('-v, --volumes', 'accepted for Docker compatibility (no anonymous volumes yet)')
    .action(action<{ force?: boolean }>(signal, setExit, async (context, names, flags) => {
      const { removeContainer } = await import('../container/ops.js');
      await forEach(names, async (name) => {
        await removeContainer(context.store(), name, flags.force === true);
        context.stdout.write(`${name}\n`);
      });
    }));

  const wait = new Command('wait')
    .description('Wait for containers to exit and print their exit statuses')
    .argument('<container...>')
    .action(action(signal, setExit, async (context, names) => {
      const { waitContainer } = await import('../container/ops.js');
      for (const name of names) context.stdout.write(`${await waitContainer(context.store(), name, context.signal)}\n`);
    }));

  const logs = new Command('logs')
    .description("Show a container's output")
    .argument('<container>')
    .option('-f, --follow', 'keep printing new output until the container exits')
    .option('--tail <n>', 'only the last n lines', 'all')
    .option('--since <time>', 'only lines since an RFC 3339 time or a duration such as 10m')
    .option('-t, --timestamps', 'prefix each line with its time')
    .action(action<{ follow?: boolean; tail: string; since?: string; timestamps?: boolean }>(signal, setExit, async (context, [name], flags) => {
      const { followLogs, readLogs } = await import('../container/ops.js');
      const { findContainer } = await import('../container/record.js');
      const store = context.store();
      const record = findContainer(store, name!);
      let since = 0;
      if (flags.since !== undefined) {
        const duration = /^(\d+)(s|m|h)$/.exec(flags.since);
        since = duration !== null ? Date.now() - Number(duration[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[duration[2] as 's' | 'm' | 'h'] : Date.parse(flags.since);
        if (!Number.isFinite(since)) throw new BurrowError('INVALID_ARGUMENT', `invalid --since "${flags.since}": use an RFC 3339 time or a duration like 10m`);
      }
      if (flags.tail !== 'all' && !/^\d+$/.test(flags.tail)) throw new BurrowError('INVALID_ARGUMENT', `invalid --tail "${flags.tail}": give a number or all`);
      const print = (entries: ReturnType<typeof readLogs>): void => {
        for (const entry of entries) {
          if (Date.parse(entry.time) < since) continue;
          (entry.stream === 'stderr' ? context.stderr : context.stdout).write(flags.timestamps === true ? `${entry.time} ${entry.log}` : entry.log);
        }
      };
      const entries = readLogs(store, record);
      print(flags.tail === 'all' ? entries : entries.slice(Math.max(0, entries.length - Number(flags.tail))));
      // Following starts right after what was read, so no line written meanwhile is lost.
      if (flags.follow === true) await followLogs(store, record, entries.length, print, context.signal);
    }));

  const exec = new Command('exec')
    .description('Run a command in a running container')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-i, --interactive', 'keep standard input open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('-e, --env <NAME=value>', 'set an environment variable', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user[:group]>', 'user name or uid')
    .action(action<{ interactive?: boolean; tty?: boolean; env: string[]; workdir?: string; user?: string }>(signal, setExit, async (context, [name, ...command], flags) => {
      const { execInContainer } = await import('../container/exec.js');
      return execInContainer(context.store(), name!, { command, env: flags.env, workdir: flags.workdir, user: flags.user, interactive: flags.interactive === true, tty: flags.tty === true });
    }));

  const rename = new Command('rename')
    .description('Rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(action(signal, setExit, async (context, [name, newName]) => {
      const { renameContainer } = await import('../container/ops.js');
      await renameContainer(context.store(), name!, newName!);
    }));

  const inspect = new Command('inspect')
    .description('Show details of containers or images as JSON')
    .argument('<name...>')
    .action(action(signal, setExit, async (context, names) => {
      const { inspectContainer } = await import('../container/ops.js');
      const { findContainer } = await import('../container/record.js');
      const { requireImage } = await import('../image/local.js');
      const { inspectImage } = await import('../image/summary.js');
      const store = context.store();
      const details = names.map((name) => {
        try {
          return inspectContainer(store, findContainer(store, name));
        } catch (error) {
          if (!(error instanceof BurrowError && error.code === 'NOT_FOUND')) throw error;
          try {
            return inspectImage(store, requireImage(store, name));
          } catch {
            throw new BurrowError('NOT_FOUND', `no such object: ${name}`);
          }
        }
      });
      context.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
    }));

  const restart = new Command('restart')
    .description('Stop, then start containers')
    .argument('<container...>')
    .option('-t, --time <seconds>', 'seconds to wait before SIGKILL', '10')
    .action(action<{ time: string }>(signal, setExit, async (context, names, flags) => {
      const { stopContainer } = await import('../container/ops.js');
      const { startDetached } = await import('../container/start.js');
      for (const name of names) {
        const record = await stopContainer(context.store(), name, Number(flags.time));
        await startDetached(context.store(), record);
        context.stdout.write(`${name}\n`);
      }
    }));

  const attach = new Command('attach')
    .description("Attach to a running container: its output, and its input when it was created with -i")
    .argument('<container>')
    .action(action(signal, setExit, async (context, [name]) => {
      const { attachContainer } = await import('../container/attach.js');
      return attachContainer(context.store(), name!, { signal: context.signal });
    }));

  const top = new Command('top')
    .description('Show the processes of a running container')
    .argument('<container>')
    .action(action(signal, setExit, async (context, [name]) => {
      const { containerProcesses } = await import('../container/top.js');
      const rows = containerProcesses(context.store(), name!);
      context.stdout.write(`${table(['PID', 'UID', 'PPID', 'STAT', 'CMD'], rows.map((row) => [String(row.pid), String(row.uid), String(row.ppid), row.state, row.command]))}\n`);
    }));

  const freezer = (name: 'pause' | 'unpause', description: string, paused: boolean): Command => new Command(name)
    .description(description)
    .argument('<container...>')
    .action(action(signal, setExit, async (context, names) => {
      const { pauseContainer } = await import('../container/ops.js');
      for (const container of names) {
        await pauseContainer(context.store(), container, paused);
        context.stdout.write(`${container}\n`);
      }
    }));
  const pause = freezer('pause', "Freeze all processes of containers (their cgroup's freezer)", true);
  const unpause = freezer('unpause', 'Thaw paused containers', false);

  const cp = new Command('cp')
    .description('Copy files between a container and the host (CONTAINER:PATH on one side)')
    .argument('<source>')
    .argument('<destination>')
    .action(action(signal, setExit, async (context, [source, destination]) => {
      const { copy } = await import('../container/cp.js');
      await copy(context.store(), source!, destination!, { signal: context.signal });
    }));

  const port = new Command('port')
    .description('List the published ports of a running container, or the host addresses of one of its ports')
    .argument('<container>')
    .argument('[port]', 'PORT or PORT/tcp or PORT/udp')
    .action(action(signal, setExit, async (context, [name, containerPort]) => {
      const { containerPorts } = await import('../container/ops.js');
      const lines = containerPorts(context.store(), name!, containerPort);
      context.stdout.write(lines.map((line) => `${line}\n`).join(''));
    }));

  const update = withLimitOptions(new Command('update')
    .description('Change the resource limits of containers (at once where they run; kept for later starts)')
    .argument('<container...>'))
    .action(action<LimitFlags>(signal, setExit, async (context, names, flags) => {
      const { updateContainer } = await import('../container/update.js');
      const limits = limitsFromFlags(flags);
      for (const name of names) {
        await updateContainer(context.store(), name, limits, (note) => context.stderr.write(`${note}\n`));
        context.stdout.write(`${name}\n`);
      }
    }));

  const stats = new Command('stats')
    .description("Show containers' resource use: CPU, memory (current and peak), pids, I/O")
    .argument('[container...]', 'containers to show (default: every running one)')
    .option('-a, --all', 'show every container, not only running ones')
    .option('--no-stream', 'print one sample and exit (default: redraw every second until interrupted)')
    .option('--no-trunc', 'do not truncate ids')
    .option('--format <format>', 'table (default) or json (one object per container and sample, a line each)')
    .action(action<{ all?: boolean; stream: boolean; trunc: boolean; format?: string }>(signal, setExit, async (context, names, flags) => {
      const format = flags.format ?? 'table';
      if (format !== 'table' && format !== 'json') throw new BurrowError('INVALID_ARGUMENT', `unsupported --format "${format}": use table or json (Go templates are not supported)`);
      const { dockerStats, STATS_COLUMNS, watchStats } = await import('../container/stats.js');
      // A terminal is redrawn in place; a pipe gets one table (or set of lines) after the other.
      const redraw = flags.stream && format === 'table' && context.stdout.isTTY === true;
      await watchStats(context.store(), { names, all: flags.all === true, noStream: !flags.stream, signal: context.signal }, (rows) => {
        const shown = rows.map((row) => dockerStats(row, { noTrunc: !flags.trunc }));
        if (format === 'json') {
          context.stdout.write(shown.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
          return;
        }
        const text = table(STATS_COLUMNS.map(([title]) => title), shown.map((entry) => STATS_COLUMNS.map(([, key]) => entry[key])));
        context.stdout.write(`${redraw ? '\x1b[2J\x1b[H' : ''}${text}\n`);
      });
      // Interrupted (Ctrl-C): the normal end of a stream.
      return 0;
    }));

  return [start, stop, kill, rm, wait, logs, exec, rename, inspect, restart, attach, top, pause, unpause, cp, port, update, stats];
}

export function containerGroup(signal: AbortSignal, setExit: Exit): Command {
  const group = new Command('container').description('Manage containers').enablePositionalOptions();
  group.addCommand(psCommand(signal, setExit).name('ls'));
  for (const command of containerCommands(signal, setExit)) group.addCommand(command);
  group.addCommand(new Command('prune').description('Remove all stopped containers').option('-f, --force', 'do not ask').action(action(signal, setExit, async (context) => {
    const { pruneContainers } = await import('../container/ops.js');
    const removed = await pruneContainers(context.store());
    context.stdout.write(removed.length > 0 ? `Deleted Containers:\n${removed.join('\n')}\n` : 'Deleted Containers: none\n');
  })));
  return group;
}
