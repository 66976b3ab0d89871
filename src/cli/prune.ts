import { Command } from 'commander';
import { action, type SetExit } from './action.js';
import { confirmPrune, pruneCancelled } from './confirm.js';
import { humanSize } from './format.js';

/** `burrow container prune`: asks first on a terminal (Docker's question), refuses without one unless -f. */
export function pruneCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('prune').description('Remove all stopped containers').option('-f, --force', 'do not ask for confirmation')
    .action(action<{ force?: boolean }>(signal, setExit, async (context, _args, flags) => {
      if (flags.force !== true && !(await confirmPrune('prune containers', 'all stopped containers.'))) throw pruneCancelled('container prune');
      const { pruneContainers } = await import('../container/ops.js');
      const removed = await pruneContainers(context.store());
      context.stdout.write(removed.length > 0 ? `Deleted Containers:\n${removed.join('\n')}\n` : 'Deleted Containers: none\n');
    }));
}

/** `burrow image prune`: untagged images (with -a, every image no container uses) and what only they needed. */
export function imagePruneCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('prune').description('Remove untagged images (with -a: every image no container uses)')
    .option('-a, --all', 'remove every image no container uses, not only untagged ones')
    .option('-f, --force', 'do not ask for confirmation')
    .action(action<{ all?: boolean; force?: boolean }>(signal, setExit, async (context, _args, flags) => {
      const warning = flags.all === true ? 'all images without at least one container associated to them.' : 'all dangling images.';
      if (flags.force !== true && !(await confirmPrune('prune images', warning))) throw pruneCancelled('image prune');
      const { pruneImages } = await import('../image/remove.js');
      const result = await pruneImages(context.store(), { all: flags.all === true });
      printDeletedImages(context.stdout, result);
      context.stdout.write(`Total reclaimed space: ${humanSize(result.gc?.reclaimedBytes ?? 0)}\n`);
    }));
}

/** Docker's "Deleted Images:" block of an image prune (image prune, system prune). */
export function printDeletedImages(out: NodeJS.WritableStream, result: { untagged: string[]; deleted: string[] }): void {
  if (result.untagged.length + result.deleted.length === 0) return;
  out.write('Deleted Images:\n');
  for (const name of result.untagged) out.write(`untagged: ${name}\n`);
  for (const id of result.deleted) out.write(`deleted: ${id}\n`);
  out.write('\n');
}
