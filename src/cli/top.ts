import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { table } from './format.js';

export function topCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('top')
    .description('Show the processes of a running container')
    .argument('<container>')
    .action(action(signal, setExit, async (context, [name]) => {
      const { containerProcesses } = await import('../container/top.js');
      const rows = containerProcesses(context.store(), name!);
      context.stdout.write(`${table(['PID', 'UID', 'PPID', 'STAT', 'CMD'], rows.map((row) => [String(row.pid), String(row.uid), String(row.ppid), row.state, row.command]))}\n`);
    }));
}
