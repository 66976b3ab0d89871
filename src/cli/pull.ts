import { Command } from 'commander';
import { parsePlatform } from '../image/platform.js';
import { familiarString, parseReference } from '../reference/reference.js';
import { action } from './action.js';
import { BlobProgress, progressMode } from './progress.js';

interface PullFlags {
  platform?: string;
  quiet?: boolean;
}

export function pullCommand(signal: AbortSignal, setExit: (code: number) => void): Command {
  return new Command('pull')
    .description('Pull an image from a registry into the store')
    .argument('<image>', 'image reference: name[:tag] or name@sha256:…')
    .option('--platform <os/arch[/variant]>', "platform to pull from a multi-platform image (default: this host's)")
    .option('-q, --quiet', 'print only the image name')
    .action(
      action<PullFlags>(signal, setExit, async (context, [reference], flags) => {
        const { pullImage } = await import('../copy/pull.js');
        const progress = await BlobProgress.create(context.stderr, progressMode(context.stderr, flags.quiet === true));
        try {
          const result = await pullImage(reference!, {
            store: context.store(),
            config: context.config(),
            platform: flags.platform === undefined ? undefined : parsePlatform(flags.platform),
            signal: context.signal,
            onBlob: progress.onBlob,
            onStatus: (message) => progress.status(message),
          });
          progress.stop();
          const familiar = familiarString(parseReference(result.name));
          if (flags.quiet !== true) {
            context.stdout.write(`Digest: ${result.sourceDigest}\n`);
            context.stdout.write(result.upToDate ? `Status: Image is up to date for ${familiar}\n` : `Status: Downloaded newer image for ${familiar}\n`);
          }
          context.stdout.write(`${result.name}\n`);
        } finally {
          progress.stop();
        }
      }),
    );
}
