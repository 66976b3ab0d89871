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
      await containerLogs(context.store(), name!, { follow: flags.follow, tail: flags.tail, since: flags.since, until: flags.until, signal: context.signal }, async (entries) => {
        // One write per run of lines of one stream, not one per line: a job's heavy output is a system call per chunk.
        const full = new Set<NodeJS.WriteStream>();
        for (let start = 0; start < entries.length;) {
          const stream = entries[start]!.stream;
          let text = '';
          for (; start < entries.length && entries[start]!.stream === stream; start++) text += flags.timestamps === true ? `${entries[start]!.time} ${entries[start]!.log}` : entries[start]!.log;
          const out = stream === 'stderr' ? context.stderr : context.stdout;
          if (!out.write(text)) full.add(out);
        }
        // A reader slower than the job (a pipe into a slow consumer): wait for it rather than queue the log in memory.
        for (const out of full) await drained(out);
      });
    }));
}

/** Resolves when `out` can take more (or will never: closed, failed). */
function drained(out: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      for (const event of ['drain', 'close', 'error']) out.off(event, done);
      resolve();
    };
    for (const event of ['drain', 'close', 'error']) out.on(event, done);
  });
}
