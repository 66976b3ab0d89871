import { Command } from 'commander';
import { action, type SetExit } from './action.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `burrow build [-t NAME]... [-f FILE] [--build-arg K=V]... [-q] CONTEXT`: the library's buildImage (src/build/builder.ts). */
export function buildCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('build')
    .description('Build an image from a Dockerfile (or Containerfile)')
    .argument('<context>', 'the build context directory')
    .option('-t, --tag <name>', 'name the image REPOSITORY[:TAG] (repeatable)', collect, [])
    .option('-f, --file <file>', 'the Dockerfile (default: CONTEXT/Dockerfile, else CONTEXT/Containerfile)')
    .option('--build-arg <name=value>', 'a value for an ARG of the Dockerfile (repeatable)', collect, [])
    .option('--no-cache', 'accepted for Docker\'s scripts (burrow build keeps no cache: every step runs)')
    .option('-q, --quiet', 'print only the image id')
    .action(action(signal, setExit, async (context, [dir], flags: { tag: string[]; file?: string; buildArg: string[]; quiet?: boolean }) => {
      const { buildImage } = await import('../build/builder.js');
      const quiet = flags.quiet === true;
      const result = await buildImage(context.store(), {
        context: dir!,
        file: flags.file,
        tags: flags.tag,
        buildArgs: flags.buildArg,
        quiet,
        signal,
        onProgress: quiet ? undefined : (line) => context.stdout.write(`${line}\n`),
        onNote: (note) => context.stderr.write(`${note}\n`),
      });
      if (!quiet) for (const name of result.names) context.stdout.write(`Successfully tagged ${name}\n`);
      context.stdout.write(`${result.id}\n`);
    }));
}
