import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function startCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('start')
    .description('Start created or stopped containers')
    .argument('<container...>')
    .option('-a, --attach', "attach to the container's output (and input, if created with -i); its exit status")
    .option('-i, --interactive', 'accepted for Docker compatibility: input is attached when the container was created with -i')
    .action(action<{ attach?: boolean }>(signal, setExit, async (context, names, flags) => {
      const { startContainer } = await import('../container/lifecycle.js');
      let code = 0;
      for (const name of names) {
        const exitCode = await startContainer(context.store(), name, {
          attach: flags.attach === true,
          signal: context.signal,
          onNote: (note) => context.stderr.write(`${note}\n`),
          onOutput: (entry) => (entry.stream === 'stderr' ? context.stderr : context.stdout).write(entry.log),
        });
        if (exitCode === undefined) context.stdout.write(`${name}\n`);
        else code = exitCode;
      }
      return code;
    }));
}
