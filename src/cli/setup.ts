import { Command } from 'commander';
import { action } from './action.js';

type Exit = (code: number) => void;

/** `burrow setup`: the one command that needs root (sudo); it prints each command before it runs it. */
export function setupCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('setup')
    .description("As root (sudo), once: give a user what burrow needs on this host: the Debian/Ubuntu packages, subordinate ids, the cgroup delegation limits need, and where AppArmor restricts user namespaces (Ubuntu 24.04) a profile that allows them for burrow's own helper alone")
    .option('--user <name>', 'the user who runs burrow (default: $SUDO_USER)')
    .option('--dry-run', 'print the commands, run none')
    .option('--undo', 'remove what setup added')
    .action(
      action<{ user?: string; dryRun?: boolean; undo?: boolean }>(signal, setExit, async (context, _args, flags) => {
        const { resolveUser, setup } = await import('../setup/index.js');
        const user = await resolveUser(flags.user);
        const result = await setup(user, { undo: flags.undo === true, dryRun: flags.dryRun === true, onCommand: (command) => context.stdout.write(`+ ${command}\n`) });
        if (result.steps === 0) context.stdout.write(`${result.nothing}\n`);
        else if (flags.dryRun === true) context.stdout.write(`dry run: ${result.steps} command${result.steps === 1 ? '' : 's'} not run\n`);
        for (const note of result.notes) context.stdout.write(`note: ${note}\n`);
      }),
    );
}
