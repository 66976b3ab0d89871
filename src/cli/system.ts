import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { pruneImages } from '../image/remove.js';
import { diskUsage } from '../store/usage.js';
import { action } from './action.js';
import { humanSize, table } from './format.js';

type Exit = (code: number) => void;

async function confirm(question: string): Promise<boolean> {
  if (process.stdin.isTTY !== true) {
    throw new BurrowError('INVALID_ARGUMENT', 'refusing to prune without confirmation: not on a terminal, so pass --force');
  }
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(`${question} [y/N] `)).trim());
  } finally {
    prompt.close();
  }
}

export function systemCommand(signal: AbortSignal, setExit: Exit): Command {
  const system = new Command('system').description('Manage the store');
  system
    .command('df')
    .description('Show how much space the store takes')
    .option('--format <format>', 'table (default) or json')
    .action(
      action<{ format?: string }>(signal, setExit, async (context, _args, flags) => {
        const usage = diskUsage(context.store());
        if (flags.format === 'json') {
          context.stdout.write(`${JSON.stringify(usage, null, 2)}\n`);
          return;
        }
        const percent = (part: number, whole: number): string => (whole === 0 ? '0%' : `${Math.round((part / whole) * 100)}%`);
        const rows = usage.rows.map((row) => [row.type, String(row.total), String(row.active), humanSize(row.size), `${humanSize(row.reclaimable)} (${percent(row.reclaimable, row.size)})`]);
        context.stdout.write(`${table(['TYPE', 'TOTAL', 'ACTIVE', 'SIZE', 'RECLAIMABLE'], rows)}\n`);
      }),
    );
  system
    .command('prune')
    .description('Remove untagged images and content no image needs')
    .option('-a, --all', 'also remove every image no container uses')
    .option('-f, --force', 'do not ask for confirmation')
    .action(
      action<{ all?: boolean; force?: boolean }>(signal, setExit, async (context, _args, flags) => {
        if (flags.force !== true) {
          const what = flags.all === true ? 'all images without a container and all unreferenced content' : 'untagged images and all unreferenced content';
          if (!(await confirm(`WARNING! This will remove ${what}. Are you sure you want to continue?`))) return 1;
        }
        const result = await pruneImages(context.store(), { all: flags.all === true });
        if (result.untagged.length + result.deleted.length > 0) {
          context.stdout.write('Deleted Images:\n');
          for (const name of result.untagged) context.stdout.write(`untagged: ${name}\n`);
          for (const id of result.deleted) context.stdout.write(`deleted: ${id}\n`);
          context.stdout.write('\n');
        }
        context.stdout.write(`Total reclaimed space: ${humanSize(result.gc?.reclaimedBytes ?? 0)}\n`);
      }),
    );
  return system;
}
