import { Command } from 'commander';
import type { SetExit } from './action.js';
import { CONTAINER_VERBS } from './container.js';
import { RUN_ENTRY, type CommandEntry } from './run-entry.js';

/**
 * The top-level commands in help order, each with the module that defines it.
 * One invocation loads only its own command's module: loading them all (and the
 * library modules they import) costs more than a container's namespaces and mounts.
 */
export const COMMANDS: CommandEntry[] = [
  RUN_ENTRY,
  { names: ['create'], load: async (signal, setExit) => [(await import('./create.js')).createCommand(signal, setExit)] },
  { names: ['ps'], load: async (signal, setExit) => [(await import('./ps.js')).psCommand(signal, setExit)] },
  ...CONTAINER_VERBS.map((verb): CommandEntry => ({ names: [verb.name], load: async (signal, setExit) => [await verb.load(signal, setExit)] })),
  { names: ['container'], load: async (signal, setExit) => [await (await import('./container.js')).containerGroup(signal, setExit)] },
  { names: ['volume'], load: async (signal, setExit) => [(await import('./volume.js')).volumeCommand(signal, setExit)] },
  { names: ['network'], load: async (signal, setExit) => [(await import('./network.js')).networkCommand(signal, setExit)] },
  { names: ['pull'], load: async (signal, setExit) => [(await import('./pull.js')).pullCommand(signal, setExit)] },
  { names: ['build'], load: async (signal, setExit) => [(await import('./build.js')).buildCommand(signal, setExit)] },
  { names: ['images'], load: async (signal, setExit) => [(await import('./images.js')).imagesCommand(signal, setExit)] },
  { names: ['rmi'], load: async (signal, setExit) => [(await import('./images.js')).rmiCommand(signal, setExit)] },
  { names: ['tag'], load: async (signal, setExit) => [(await import('./images.js')).tagCommand(signal, setExit)] },
  { names: ['load'], load: async (signal, setExit) => [(await import('./archive.js')).loadCommand(signal, setExit)] },
  { names: ['save'], load: async (signal, setExit) => [(await import('./archive.js')).saveCommand(signal, setExit)] },
  { names: ['login'], load: async (signal, setExit) => [(await import('./login.js')).loginCommand(signal, setExit)] },
  { names: ['logout'], load: async (signal, setExit) => [(await import('./login.js')).logoutCommand(signal, setExit)] },
  { names: ['system'], load: async (signal, setExit) => [(await import('./system.js')).systemCommand(signal, setExit)] },
  { names: ['info'], load: async (signal, setExit) => [(await import('./info.js')).infoCommand(signal, setExit)] },
  { names: ['version'], load: async (signal, setExit) => [(await import('./info.js')).versionCommand(signal, setExit)] },
  { names: ['setup'], load: async (signal, setExit) => [(await import('./setup.js')).setupCommand(signal, setExit)] },
  { names: ['unshare'], load: async (signal, setExit) => [(await import('./unshare.js')).unshareCommand(signal, setExit)] },

  { names: ['healthcheck'], load: async (signal, setExit) => [(await import('./healthcheck.js')).healthcheckCommand(signal, setExit)] },
  { names: ['doctor'], load: async (signal, setExit) => [(await import('./doctor.js')).doctorCommand(signal, setExit)] },
  { names: ['job'], load: async (signal, setExit) => [(await import('./job.js')).jobCommand(signal, setExit)] },
  { names: ['image'], load: imageGroup },
];

async function imageGroup(signal: AbortSignal, setExit: SetExit): Promise<Command[]> {
  const [pull, images, archive, prune, build] = await Promise.all([import('./pull.js'), import('./images.js'), import('./archive.js'), import('./prune.js'), import('./build.js')]);
  const image = new Command('image').description('Manage images');
  image.addCommand(build.buildCommand(signal, setExit));
  image.addCommand(pull.pullCommand(signal, setExit));
  image.addCommand(images.imagesCommand(signal, setExit).name('ls'));
  image.addCommand(images.rmiCommand(signal, setExit).name('rm'));
  image.addCommand(images.inspectCommand(signal, setExit));
  image.addCommand(images.tagCommand(signal, setExit));
  image.addCommand(archive.loadCommand(signal, setExit));
  image.addCommand(archive.saveCommand(signal, setExit));
  image.addCommand(prune.imagePruneCommand(signal, setExit));
  return [image];
}
