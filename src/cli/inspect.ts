import { Command } from 'commander';
import { action, type SetExit } from './action.js';

export function inspectCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('inspect')
    .description('Show details of containers or images as JSON')
    .argument('<name...>')
    .option('-f, --format <format>', 'a Go template for each object, e.g. \'{{.State.Status}}\' (default: all of them as a JSON array)')
    .option('--type <type>', 'only look for a container or an image')
    .option('-s, --size', 'accepted for Docker compatibility')
    .action(action<{ format?: string; type?: string }>(signal, setExit, async (context, names, flags) => {
      const { chooseFormat, renderOne } = await import('../format/render.js');
      const { inspectObject } = await import('../container/inspect.js');
      const choice = chooseFormat(flags.format);
      if (flags.type !== undefined && flags.type !== 'container' && flags.type !== 'image') {
        const { BurrowError } = await import('../errors.js');
        throw new BurrowError('INVALID_ARGUMENT', `"${flags.type}" is not a valid value for --type: use container or image (volume inspect and network inspect show the others)`);
      }
      const store = context.store();
      const objects = names.map((name) => inspectObject(store, name, flags.type as 'container' | 'image' | undefined));
      if (choice.kind === 'template') context.stdout.write(objects.map((object) => renderOne(choice.template, object)).join(''));
      else context.stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
    }));
}
