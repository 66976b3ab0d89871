import { Command } from 'commander';
import { action, type SetExit } from './action.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `burrow commit CONTAINER [REPOSITORY[:TAG]]`: prints the new image's id, as Docker does. */
export function commitCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('commit')
    .description("Create a new image from a container's changes")
    .argument('<container>')
    .argument('[repository]', 'REPOSITORY[:TAG] for the new image')
    .option('-a, --author <author>', 'author (e.g. "Jane Doe <jane@example.com>")')
    .option('-c, --change <instruction>', 'apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR (repeatable)', collect, [])
    .option('-m, --message <message>', 'commit message')
    .option('-p, --pause', "accepted for Docker's scripts; burrow commits without pausing (as Podman's default)")
    .option('--no-pause', 'do not pause the container (the behaviour either way)')
    .option('-q, --quiet', 'accepted (burrow prints only the id)')
    .action(action(signal, setExit, async (context, [container, repository], flags: { author?: string; change: string[]; message?: string }) => {
      const { commitContainer } = await import('../image/commit.js');
      const result = await commitContainer(context.store(), container!, { reference: repository, author: flags.author, message: flags.message, changes: flags.change, signal });
      context.stdout.write(`${result.id}\n`);
    }));
}
