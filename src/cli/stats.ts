import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { action, type SetExit } from './action.js';
import { table } from './format.js';

export function statsCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('stats')
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
}
