import { Command } from 'commander';
import { action } from './action.js';

/**
 * `burrow unshare [CMD...]` (Podman's `podman unshare`): CMD as root of burrow's
 * user namespace, with the mapping containers get, so files a job left owned by a
 * subordinate id can be removed (`burrow unshare rm -rf DIR`). Without CMD, the
 * caller's $SHELL. The exit status is CMD's.
 */
export function unshareCommand(_signal: AbortSignal, setExit: (code: number) => void): Command {
  return new Command('unshare')
    .description("Run a command as root of burrow's user namespace (to remove files a container left)")
    .argument('[command...]', 'command and arguments (default: $SHELL)')
    .passThroughOptions()
    .action(
      // No abort signal: Ctrl-C reaches the command from the terminal, and is the command's to handle.
      action(new AbortController().signal, setExit, async (_context, command) => {
        const { runInUserNamespace } = await import('../userns/reclaim.js');
        return runInUserNamespace(command.length > 0 ? command : [process.env.SHELL || '/bin/sh']);
      }),
    );
}
