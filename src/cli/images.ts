import { Command } from 'commander';
import { chooseFormat, jsonLines, renderOne, renderRows } from '../format/render.js';
import { filterImages } from '../image/filter.js';
import { requireImage } from '../image/local.js';
import { removeImages } from '../image/remove.js';
import { inspectImage, listImages } from '../image/summary.js';
import { shortId } from '../util/digest.js';
import { action } from './action.js';
import { humanSize, table, timeAgo } from './format.js';

type Exit = (code: number) => void;
const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function imagesCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('images')
    .description('List images in the store')
    .argument('[repository]', 'only this repository, REPOSITORY[:TAG] (a glob, as --filter reference=)')
    .option('-a, --all', 'accepted for Docker compatibility: burrow keeps no intermediate images, so every image is listed anyway')
    .option('-q, --quiet', 'only show image ids')
    .option('--digests', 'show digests')
    .option('--no-trunc', 'do not truncate ids')
    .option('-f, --filter <key=value>', 'filter: reference=, label=, dangling=true|false, before=IMAGE, since=IMAGE', collect, [])
    .option('--format <format>', 'table (default), json (one object a line, the fields a template sees), or a Go template (`table TEMPLATE` for columns): .ID .Repository .Tag .Digest .CreatedSince .CreatedAt .Size')
    .action(
      action<{ quiet?: boolean; digests?: boolean; trunc: boolean; filter: string[]; format?: string }>(signal, setExit, async (context, [repository], flags) => {
        const choice = chooseFormat(flags.format);
        const filters = repository === undefined ? flags.filter : [...flags.filter, `reference=${repository}`];
        const images = filterImages(context.store(), listImages(context.store()), filters);
        if (choice.kind === 'template' || choice.kind === 'json') {
          const { imageRow, IMAGE_HEADERS } = await import('../format/rows.js');
          const rows = images.map((image) => imageRow(image, flags.trunc));
          context.stdout.write(choice.kind === 'json' ? jsonLines(rows) : renderRows(choice, rows, IMAGE_HEADERS));
          return;
        }
        const id = (digest: string): string => (flags.trunc ? shortId(digest) : digest);
        if (flags.quiet === true) {
          context.stdout.write([...new Set(images.map((image) => id(image.Id)))].map((line) => `${line}\n`).join(''));
          return;
        }
        const header = flags.digests === true ? ['REPOSITORY', 'TAG', 'DIGEST', 'IMAGE ID', 'CREATED', 'SIZE'] : ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE'];
        const rows = images.map((image) => {
          const cells = [image.Repository, image.Tag, id(image.Id), timeAgo(image.Created), humanSize(image.Size)];
          if (flags.digests === true) cells.splice(2, 0, image.Digest);
          return cells;
        });
        context.stdout.write(`${table(header, rows)}\n`);
      }),
    );
}

export function rmiCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('rmi')
    .description('Remove images (and the layers no other image uses)')
    .argument('<image...>', 'names or ids')
    .option('-f, --force', 'remove even if a container uses the image, or it has several names')
    .action(
      action<{ force?: boolean }>(signal, setExit, async (context, images, flags) => {
        const result = await removeImages(context.store(), images, { force: flags.force === true });
        for (const name of result.untagged) context.stdout.write(`Untagged: ${name}\n`);
        for (const id of result.deleted) context.stdout.write(`Deleted: ${id}\n`);
      }),
    );
}

export function inspectCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('inspect')
    .description('Show the details of images as JSON')
    .argument('<image...>', 'names or ids')
    .option('-f, --format <format>', 'a Go template for each image (default: all of them as a JSON array)')
    .action(
      action<{ format?: string }>(signal, setExit, async (context, images, flags) => {
        const choice = chooseFormat(flags.format);
        const store = context.store();
        const details = images.map((query) => inspectImage(store, requireImage(store, query)));
        if (choice.kind === 'template') context.stdout.write(details.map((detail) => renderOne(choice.template, detail)).join(''));
        else context.stdout.write(`${JSON.stringify(details, null, 2)}\n`);
      }),
    );
}

export function tagCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('tag')
    .description('Give an image another name')
    .argument('<source>', 'name or id of an image in the store')
    .argument('<target>', 'new name, NAME[:TAG]')
    .action(
      action(signal, setExit, async (context, [source, target]) => {
        const { tagImage } = await import('../image/tag.js');
        await tagImage(context.store(), source!, target!);
      }),
    );
}
