import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { collect } from './each.js';

export function execCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('exec')
    .description('Run a command in a running container')
    .argument('<container>')
    .argument('<command...>')
    .passThroughOptions()
    .option('-i, --interactive', 'keep standard input open')
    .option('-t, --tty', 'allocate a pseudo-terminal')
    .option('-e, --env <NAME=value>', 'set an environment variable', collect, [])
    .option('-w, --workdir <dir>', 'working directory')
    .option('-u, --user <user[:group]>', 'user name or uid')
    .option('-d, --detach', 'start the command and return at once')
    .action(action<{ interactive?: boolean; tty?: boolean; env: string[]; workdir?: string; user?: string; detach?: boolean }>(signal, setExit, async (context, [name, ...command], flags) => {
      const { execInContainer } = await import('../container/exec.js');
      return execInContainer(context.store(), name!, { command, env: flags.env, workdir: flags.workdir, user: flags.user, interactive: flags.interactive === true, tty: flags.tty === true, detach: flags.detach === true });
    }));
}
