import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { table } from './format.js';

export function topCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('top')
    .description('Show the processes of a running container')
    .argument('<container>')
    .argument('[ps-options...]', 'options for ps (default -ef)')
    .passThroughOptions()
    .allowUnknownOption()
    .action(action(signal, setExit, async (context, [name, ...psOptions]) => {
      const { containerTop } = await import('../container/top.js');
      const result = containerTop(context.store(), name!, psOptions);
      context.stdout.write(`${table(result.titles, result.processes)}\n`);
    }));
}
