import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { action } from './action.js';
import { confirmPrune, pruneCancelled } from './confirm.js';
import { humanSize, table } from './format.js';

type Exit = (code: number) => void;

/** `--format`: table (the default) or json. */
function wantsJson(format: string | undefined): boolean {
  if (format === undefined || format === 'table') return false;
  if (format === 'json') return true;
  throw new BurrowError('INVALID_ARGUMENT', `unknown --format "${format}": use table or json`);
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function cacheCommand(signal: AbortSignal, setExit: Exit): Command {
  const cache = new Command('cache').description('A cache of images for CI to carry between runs (compressed blobs and names, no unpacked layer)');
  cache
    .command('export')
    .description('Write images (default: all) to DIR; a DIR exported before is updated in place')
    .argument('<dir>', 'the cache directory (new, empty, or an earlier export)')
    .argument('[image...]', 'only these images')
    .action(
      action(signal, setExit, async (context, [dir, ...images]) => {
        const { exportCache } = await import('../store/cache.js');
        const result = await exportCache(context.store(), dir!, { images, signal: context.signal });
        for (const skipped of result.skipped) context.stderr.write(`burrow: not exported: ${skipped.name}: ${skipped.why}\n`);
        const fresh = result.linked + result.copied;
        context.stdout.write(
          `Exported ${plural(result.images.length, 'image')} to ${result.dir}: ${plural(result.blobs, 'blob')}, ${fresh} new (${result.linked} linked, ${result.copied} copied, ${humanSize(result.copiedBytes)})` +
            `${result.removed > 0 ? `, ${plural(result.removed, 'blob')} no image needs removed` : ''}\n`,
        );
      }),
    );
  cache
    .command('import')
    .description('Take the images of a cache in DIR into the store, each blob verified; an imported name replaces the store\'s, as docker load does')
    .argument('<dir>', 'the cache directory (missing: nothing to import)')
    .action(
      action(signal, setExit, async (context, [dir]) => {
        const { importCache } = await import('../store/cache.js');
        const result = await importCache(context.store(), dir!, { signal: context.signal });
        if (!result.found) {
          context.stdout.write(`No cache at ${result.dir}: nothing to import\n`);
          return;
        }
        for (const image of result.images) {
          const replaced = image.replaced === undefined ? '' : ` (it named image ${image.replaced.slice(7, 19)} before; the imported name wins)`;
          context.stdout.write(`Loaded image: ${image.name}${replaced}\n`);
        }
        for (const skipped of result.skipped) context.stderr.write(`burrow: not imported: ${skipped.name}: ${skipped.why}\n`);
        context.stdout.write(`Imported ${plural(result.imported, 'blob')} (${humanSize(result.importedBytes)}), ${result.present} already in the store\n`);
      }),
    );
  return cache;
}

export function systemCommand(signal: AbortSignal, setExit: Exit): Command {
  const system = new Command('system').description('Manage the store');
  system
    .command('df')
    .description('Show how much space the store takes')
    .option('--format <format>', 'table (default), json, or a Go template (`table TEMPLATE` for columns): .Type .TotalCount .Active .Size .Reclaimable')
    .option('-v, --verbose', 'accepted for Docker compatibility (the same table)')
    .action(
      action<{ format?: string }>(signal, setExit, async (context, _args, flags) => {
        const { chooseFormat, renderRows } = await import('../format/render.js');
        const choice = chooseFormat(flags.format);
        const { diskUsage } = await import('../store/usage.js');
        const usage = diskUsage(context.store());
        if (choice.kind === 'template') {
          const { diskUsageRow, DF_HEADERS } = await import('../format/rows.js');
          context.stdout.write(renderRows(choice, usage.rows.map(diskUsageRow), DF_HEADERS));
          return;
        }
        if (choice.kind === 'json') {
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
    .description('Remove stopped containers, networks no container uses, untagged images (with --volumes: anonymous volumes), and content, unpacked layers and leftovers nothing needs')
    .option('-a, --all', 'also remove every image no container uses')
    .option('--volumes', 'also remove anonymous volumes no container uses')
    .option('-f, --force', 'do not ask for confirmation')
    .action(
      action<{ all?: boolean; force?: boolean; volumes?: boolean }>(signal, setExit, async (context, _args, flags) => {
        if (flags.force !== true) {
          const images = flags.all === true ? 'all images without at least one container associated to them' : 'all dangling images';
          const volumes = flags.volumes === true ? ' all anonymous volumes not used by at least one container,' : '';
          if (!(await confirmPrune('prune', `all stopped containers, all networks not used by at least one container,${volumes} ${images} and all unreferenced content.`))) throw pruneCancelled('system prune');
        }
        const store = context.store();
        // Docker's order: stopped containers first, so what only they used (networks, volumes, images, layers) goes in the same prune.
        const { pruneContainers } = await import('../container/ops.js');
        const containers = await pruneContainers(store);
        if (containers.length > 0) context.stdout.write(`Deleted Containers:\n${containers.join('\n')}\n\n`);
        const { pruneNetworks } = await import('../network/records.js');
        const networks = pruneNetworks(store);
        if (networks.length > 0) context.stdout.write(`Deleted Networks:\n${networks.join('\n')}\n\n`);
        if (flags.volumes === true) {
          const { pruneVolumes } = await import('../container/volumes.js');
          const volumes = await pruneVolumes(store);
          if (volumes.length > 0) context.stdout.write(`Deleted Volumes:\n${volumes.join('\n')}\n\n`);
        }
        const { pruneImages } = await import('../image/remove.js');
        const result = await pruneImages(store, { all: flags.all === true });
        (await import('./prune.js')).printDeletedImages(context.stdout, result);
        const layers = result.gc?.removedLayers ?? [];
        if (layers.length > 0) {
          context.stdout.write('Deleted Layers (unpacked):\n');
          for (const diffId of layers) context.stdout.write(`deleted: ${diffId}\n`);
          context.stdout.write('\n');
        }
        context.stdout.write(`Total reclaimed space: ${humanSize(result.gc?.reclaimedBytes ?? 0)}\n`);
      }),
    );
  system
    .command('check')
    .description('Verify every blob, image record, container and unpacked layer; list leftovers prune removes')
    .option('--repair', 'remove what is damaged (a blob, an image whose content is missing, a layer unlike its info file) and end processes a killed burrow left, saying why')
    .option('--format <format>', 'table (default) or json')
    .action(
      action<{ repair?: boolean; format?: string }>(signal, setExit, async (context, _args, flags) => {
        const json = wantsJson(flags.format);
        const { checkStore } = await import('../store/check.js');
        const report = await checkStore(context.store(), { repair: flags.repair === true, signal: context.signal });
        if (json) {
          context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
          return report.ok ? 0 : 1;
        }
        const { checked } = report;
        context.stdout.write(`Checked ${plural(checked.blobs, 'blob')}, ${plural(checked.images, 'image')}, ${plural(checked.containers, 'container')}, ${plural(checked.layers, 'unpacked layer')} in ${report.root}\n`);
        for (const repair of report.repaired) context.stdout.write(`${repair.action} ${repair.kind} ${repair.subject}: ${repair.detail}\n`);
        for (const problem of report.problems) context.stdout.write(`damaged ${problem.kind} ${problem.subject}: ${problem.detail}\n`);
        for (const item of report.garbage) context.stdout.write(`garbage ${item.kind} ${item.subject}: ${item.detail}\n`);
        if (report.garbage.length > 0) context.stdout.write(`${plural(report.garbage.length, 'leftover')} (not damage): burrow system prune removes them\n`);
        context.stdout.write(report.ok ? 'The store is consistent\n' : `${plural(report.problems.length, 'problem')} remain${report.problems.length === 1 ? 's' : ''}${flags.repair === true ? '' : ': burrow system check --repair removes what is damaged'}\n`);
        return report.ok ? 0 : 1;
      }),
    );
  system.addCommand(cacheCommand(signal, setExit));
  return system;
}
