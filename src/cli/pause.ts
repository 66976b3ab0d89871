import { Command } from 'commander';
import { action, type SetExit } from './action.js';

function freezerCommand(name: 'pause' | 'unpause', description: string, paused: boolean, signal: AbortSignal, setExit: SetExit): Command {
  return new Command(name)
    .description(description)
    .argument('<container...>')
    .action(action(signal, setExit, async (context, names) => {
      const { pauseContainer } = await import('../container/ops.js');
      for (const container of names) {
        await pauseContainer(context.store(), container, paused);
        context.stdout.write(`${container}\n`);
      }
    }));
}

export function pauseCommand(signal: AbortSignal, setExit: SetExit): Command {
  return freezerCommand('pause', "Freeze all processes of containers (their cgroup's freezer)", true, signal, setExit);
}

export function unpauseCommand(signal: AbortSignal, setExit: SetExit): Command {
  return freezerCommand('unpause', 'Thaw paused containers', false, signal, setExit);
}
