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
  volume.command('ls').description('List volumes').option('-q, --quiet', 'only names').option('--format <format>', 'table or json')
    .action(action<{ quiet?: boolean; format?: string }>(signal, setExit, async (context, _args, flags) => {
      const { listVolumes } = await import('../container/volumes.js');
      const volumes = listVolumes(context.store());
      if (flags.format === 'json') context.stdout.write(`${JSON.stringify(volumes, null, 2)}\n`);
      else if (flags.quiet === true) context.stdout.write(volumes.map((entry) => `${entry.Name}\n`).join(''));
      else context.stdout.write(`${table(['DRIVER', 'VOLUME NAME'], volumes.map((entry) => [entry.Driver, entry.Name]))}\n`);
    }));
  volume.command('inspect').description('Show volumes as JSON').argument('<name...>')
    .action(action(signal, setExit, async (context, names) => {
      const { readVolume } = await import('../container/volumes.js');
      const { BurrowError } = await import('../errors.js');
      const found = names.map((name) => {
        const entry = readVolume(context.store(), name);
        if (entry === undefined) throw new BurrowError('NOT_FOUND', `no such volume: ${name}`);
        return entry;
      });
      context.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    }));
  volume.command('rm').description('Remove volumes').argument('<name...>').option('-f, --force', 'even if a container uses it')
    .action(action<{ force?: boolean }>(signal, setExit, async (context, names, flags) => {
      const { removeVolume } = await import('../container/volumes.js');
      for (const name of names) {
        await removeVolume(context.store(), name, flags.force === true);
        context.stdout.write(`${name}\n`);
      }
    }));
  volume.command('prune').description('Remove volumes no container uses').option('-f, --force', 'do not ask')
    .action(action(signal, setExit, async (context) => {
      const { pruneVolumes } = await import('../container/volumes.js');
      const removed = await pruneVolumes(context.store());
      context.stdout.write(removed.length > 0 ? `Deleted Volumes:\n${removed.join('\n')}\n` : 'Deleted Volumes: none\n');
    }));
  return volume;
}
