import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { findRecordsById, requireImage } from '../image/local.js';
import { familiarString, parseReference } from '../reference/reference.js';
import type { ArchiveFormat } from '../transport/archive-write.js';
import { action } from './action.js';

type Exit = (code: number) => void;

export function loadCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('load')
    .description('Load images from a docker save or OCI archive')
    .option('-i, --input <file>', 'read from this file instead of standard input')
    .option('-q, --quiet', 'print nothing but errors')
    .action(
      action<{ input?: string; quiet?: boolean }>(signal, setExit, async (context, _args, flags) => {
        const { loadArchive } = await import('../copy/load.js');
        const store = context.store();
        let file = flags.input;
        let scratch: string | undefined;
        if (file === undefined) {
          if (process.stdin.isTTY === true) throw new BurrowError('INVALID_ARGUMENT', 'no archive given: use -i FILE or pipe one into standard input');
          scratch = store.scratchDir('stdin');
          file = join(scratch, 'archive.tar');
          await pipeline(process.stdin, createWriteStream(file));
        }
        try {
          const loaded = await loadArchive(store, file, { signal: context.signal });
          if (flags.quiet !== true) {
            for (const image of loaded) {
              if (image.names.length === 0) context.stdout.write(`Loaded image ID: ${image.id}\n`);
              for (const name of image.names) context.stdout.write(`Loaded image: ${familiarString(parseReference(name))}\n`);
            }
          }
        } finally {
          if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
        }
      }),
    );
}

export function saveCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('save')
    .description('Save images to a tar archive (docker save format by default)')
    .argument('<image...>', 'names or ids')
    .option('-o, --output <file>', 'write to this file instead of standard output')
    .option('--format <format>', 'docker-archive or oci-archive', 'docker-archive')
    .action(
      action<{ output?: string; format: string }>(signal, setExit, async (context, queries, flags) => {
        if (flags.format !== 'docker-archive' && flags.format !== 'oci-archive') {
          throw new BurrowError('INVALID_ARGUMENT', `unknown --format "${flags.format}": use docker-archive or oci-archive`);
        }
        const { saveImages } = await import('../transport/archive-write.js');
        const store = context.store();
        const images = queries.map((query) => requireImage(store, query));
        const byId = new Set(images.filter((_image, index) => findRecordsById(store, queries[index]!).length > 0));
        if (flags.output !== undefined) {
          await saveImages(store, images, flags.output, flags.format as ArchiveFormat, byId);
          return;
        }
        if (process.stdout.isTTY === true) throw new BurrowError('INVALID_ARGUMENT', 'refusing to write an archive to a terminal: use -o FILE or redirect standard output');
        const scratch = store.scratchDir('stdout');
        try {
          const file = join(scratch, 'archive.tar');
          await saveImages(store, images, file, flags.format as ArchiveFormat, byId);
          await pipeline(createReadStream(file), process.stdout, { end: false });
        } finally {
          rmSync(scratch, { recursive: true, force: true });
        }
      }),
    );
}
