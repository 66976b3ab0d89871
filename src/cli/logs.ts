import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function logsCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('logs')
    .description("Show a container's output")
    .argument('<container>')
    .option('-f, --follow', 'keep printing new output until the container exits')
    .option('-n, --tail <n>', 'only the last n lines', 'all')
    .option('--since <time>', 'only lines since an RFC 3339 time or a duration such as 10m')
    .option('--until <time>', 'only lines until an RFC 3339 time or a duration such as 10m')
    .option('-t, --timestamps', 'prefix each line with its time')
    .action(action<{ follow?: boolean; tail: string; since?: string; until?: string; timestamps?: boolean }>(signal, setExit, async (context, [name], flags) => {
      const { containerLogs } = await import('../container/logs.js');
      await containerLogs(context.store(), name!, { follow: flags.follow, tail: flags.tail, since: flags.since, until: flags.until, signal: context.signal }, (entries) => {
        for (const entry of entries) (entry.stream === 'stderr' ? context.stderr : context.stdout).write(flags.timestamps === true ? `${entry.time} ${entry.log}` : entry.log);
      });
    }));
}
