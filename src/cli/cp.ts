import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function cpCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('cp')
    .description('Copy files between a container and the host (CONTAINER:PATH on one side)')
    .argument('<source>', 'CONTAINER:PATH, a host path, or - (a tar archive on standard input)')
    .argument('<destination>', 'CONTAINER:PATH, a host path, or - (a tar archive on standard output)')
    .option('-a, --archive', 'what is copied in belongs to the container\'s user (without -a it keeps its uid and gid, as docker cp)')
    .option('-L, --follow-link', 'follow a symlink that is the source\'s last component')
    .action(action<{ archive?: boolean; followLink?: boolean }>(signal, setExit, async (context, [source, destination], flags) => {
      const { copy } = await import('../container/cp.js');
      await copy(context.store(), source!, destination!, {
        signal: context.signal, archive: flags.archive === true, followLink: flags.followLink === true, input: process.stdin, output: context.stdout,
      });
    }));
}
