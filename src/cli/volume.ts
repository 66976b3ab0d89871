import { Command } from 'commander';
import { action } from './action.js';
import { table } from './format.js';

type Exit = (code: number) => void;
const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function volumeCommand(signal: AbortSignal, setExit: Exit): Command {
  const volume = new Command('volume').description('Manage named volumes (they outlive containers)');
  volume.command('create').description('Create a volume (without a name: a random one)').argument('[name]').option('-l, --label <key=value>', 'set a label', collect, [])
    .option('-d, --driver <driver>', 'local (the only driver)', 'local')
    .option('-o, --opt <key=value>', 'local driver option: type=tmpfs (o=size=64m,mode=1777), or type=none,o=bind,device=/host/path (repeatable)', collect, [])
    .action(action<{ label: string[]; driver: string; opt: string[] }>(signal, setExit, async (context, [name], flags) => {
      const { anonymousVolumeName, createVolume, parseVolumeOptions } = await import('../container/volumes.js');
      const { BurrowError } = await import('../errors.js');
      if (flags.driver !== 'local') throw new BurrowError('INVALID_ARGUMENT', `volume driver "${flags.driver}" is not available: burrow has the local driver only`);
      const options = parseVolumeOptions(flags.opt);
      const labels = Object.fromEntries(flags.label.map((label) => [label.split('=')[0]!, label.split('=').slice(1).join('=')]));
      context.stdout.write(`${createVolume(context.store(), name ?? anonymousVolumeName(), labels, options).Name}\n`);
    }));
  volume.command('ls').alias('list').description('List volumes').option('-q, --quiet', 'only names')
    .option('-f, --filter <key=value>', 'filter: name=, label=, dangling=true|false, driver=local', collect, [])
    .option('--format <format>', 'table (default), json (one object a line, the fields a template sees), or a Go template (`table TEMPLATE` for columns): .Name .Driver .Scope .Mountpoint .Labels .Label .CreatedAt')
    .action(action<{ quiet?: boolean; filter: string[]; format?: string }>(signal, setExit, async (context, _args, flags) => {
      const { chooseFormat, jsonLines, renderRows } = await import('../format/render.js');
      const choice = chooseFormat(flags.format);
      const { listVolumes } = await import('../container/volumes.js');
      const { filterVolumes } = await import('../container/volume-filter.js');
      const volumes = filterVolumes(context.store(), listVolumes(context.store()), flags.filter).sort((a, b) => a.Name.localeCompare(b.Name));
      if (flags.quiet === true) context.stdout.write(volumes.map((entry) => `${entry.Name}\n`).join(''));
      else if (choice.kind === 'template' || choice.kind === 'json') {
        const { volumeRow, VOLUME_HEADERS } = await import('../format/rows.js');
        const rows = volumes.map(volumeRow);
        context.stdout.write(choice.kind === 'json' ? jsonLines(rows) : renderRows(choice, rows, VOLUME_HEADERS));
      } else context.stdout.write(`${table(['DRIVER', 'VOLUME NAME'], volumes.map((entry) => [entry.Driver, entry.Name]))}\n`);
    }));
  volume.command('inspect').description('Show volumes as JSON').argument('<name...>')
    .option('-f, --format <format>', 'a Go template for each volume (default: all of them as a JSON array)')
    .action(action<{ format?: string }>(signal, setExit, async (context, names, flags) => {
      const { chooseFormat, renderOne } = await import('../format/render.js');
      const choice = chooseFormat(flags.format);
      const { readVolume } = await import('../container/volumes.js');
      const { BurrowError } = await import('../errors.js');
      const found = names.map((name) => {
        const entry = readVolume(context.store(), name);
        if (entry === undefined) throw new BurrowError('NOT_FOUND', `no such volume: ${name}`);
        // Docker's shape: Options and Scope too.
        return { Options: {}, ...entry, Scope: 'local' };
      });
      if (choice.kind === 'template') context.stdout.write(found.map((entry) => renderOne(choice.template, entry)).join(''));
      else context.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    }));
  volume.command('rm').description('Remove volumes').argument('<name...>').option('-f, --force', 'even if a container uses it')
    .action(action<{ force?: boolean }>(signal, setExit, async (context, names, flags) => {
      const { removeVolume } = await import('../container/volumes.js');
      for (const name of names) {
        await removeVolume(context.store(), name, flags.force === true);
        context.stdout.write(`${name}\n`);
      }
    }));
  volume.command('prune').description('Remove anonymous volumes no container uses (with -a: every volume no container uses)')
    .option('-a, --all', 'also named volumes: they hold data the user asked to keep')
    .option('-f, --force', 'do not ask for confirmation')
    .action(action<{ all?: boolean; force?: boolean }>(signal, setExit, async (context, _args, flags) => {
      const { confirmPrune, pruneCancelled } = await import('./confirm.js');
      const warning = `${flags.all === true ? 'all local volumes' : 'anonymous local volumes'} not used by at least one container.`;
      if (flags.force !== true && !(await confirmPrune('prune volumes', warning))) throw pruneCancelled('volume prune');
      const { pruneVolumes } = await import('../container/volumes.js');
      const removed = await pruneVolumes(context.store(), { all: flags.all === true });
      context.stdout.write(removed.length > 0 ? `Deleted Volumes:\n${removed.join('\n')}\n` : 'Deleted Volumes: none\n');
    }));
  return volume;
}
