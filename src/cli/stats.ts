import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { table } from './format.js';

export function statsCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('stats')
    .description("Show containers' resource use: CPU, memory (current and peak), pids, I/O")
    .argument('[container...]', 'containers to show (default: every running one)')
    .option('-a, --all', 'show every container, not only running ones')
    .option('--no-stream', 'print one sample and exit (default: redraw every second until interrupted)')
    .option('--no-trunc', 'do not truncate ids')
    .option('--format <format>', 'table (default), json (one object per container and sample, a line each), or a Go template (`table TEMPLATE` for columns): .Container .ID .Name .CPUPerc .MemUsage .MemPerc .MemPeak .NetIO .BlockIO .PIDs')
    .action(action<{ all?: boolean; stream: boolean; trunc: boolean; format?: string }>(signal, setExit, async (context, names, flags) => {
      const { chooseFormat, renderRows } = await import('../format/render.js');
      const choice = chooseFormat(flags.format);
      const format = choice.kind;
      const { dockerStats, STATS_COLUMNS, watchStats } = await import('../container/stats.js');
      const { STATS_HEADERS } = await import('../format/rows.js');
      // A terminal is redrawn in place; a pipe gets one table (or set of lines) after the other.
      const redraw = flags.stream && (choice.kind === 'table' || (choice.kind === 'template' && choice.table)) && context.stdout.isTTY === true;
      await watchStats(context.store(), { names, all: flags.all === true, noStream: !flags.stream, signal: context.signal }, (rows) => {
        const shown = rows.map((row) => dockerStats(row, { noTrunc: !flags.trunc }));
        if (format === 'json') {
          context.stdout.write(shown.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
          return;
        }
        if (choice.kind === 'template') {
          context.stdout.write(`${redraw ? '\x1b[2J\x1b[H' : ''}${renderRows(choice, shown, STATS_HEADERS)}`);
          return;
        }
        const text = table(STATS_COLUMNS.map(([title]) => title), shown.map((entry) => STATS_COLUMNS.map(([, key]) => entry[key])));
        context.stdout.write(`${redraw ? '\x1b[2J\x1b[H' : ''}${text}\n`);
      });
      // Interrupted (Ctrl-C): the normal end of a stream.
      return 0;
    }));
}
