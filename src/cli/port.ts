import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function portCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('port')
    .description('List the published ports of a running container, or the host addresses of one of its ports')
    .argument('<container>')
    .argument('[port]', 'PORT or PORT/tcp or PORT/udp')
    .action(action(signal, setExit, async (context, [name, containerPort]) => {
      const { containerPorts } = await import('../container/ops.js');
      const lines = containerPorts(context.store(), name!, containerPort);
      context.stdout.write(lines.map((line) => `${line}\n`).join(''));
    }));
}
