import { createRequire } from 'node:module';
import type { MultiBar, SingleBar } from 'cli-progress';
import type { BlobRole } from '../copy/copy.js';
import type { Descriptor } from '../image/types.js';
import type { BlobEvent } from '../store/blobs.js';
import { shortId } from '../util/digest.js';
import { humanSize } from './format.js';

export type ProgressMode = 'bars' | 'lines' | 'quiet';

export function progressMode(stream: NodeJS.WriteStream, quiet: boolean): ProgressMode {
  if (quiet) return 'quiet';
  return stream.isTTY === true && process.env.TERM !== 'dumb' ? 'bars' : 'lines';
}

/**
 * Per-layer progress: bars on a terminal (cli-progress), one line per finished
 * blob otherwise, so CI logs stay readable.
 */
export class BlobProgress {
  private multibar: MultiBar | undefined;
  private readonly bars = new Map<string, SingleBar>();

  private constructor(private readonly stream: NodeJS.WriteStream, private readonly mode: ProgressMode, cliProgress?: typeof import('cli-progress')) {
    if (mode === 'bars' && cliProgress !== undefined) {
      this.multibar = new cliProgress.MultiBar(
        {
          stream,
          format: '{id}: {state} [{bar}] {done}/{size}',
          barsize: 30,
          hideCursor: true,
          clearOnComplete: false,
          autopadding: true,
          fps: 10,
        },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  static async create(stream: NodeJS.WriteStream, mode: ProgressMode): Promise<BlobProgress> {
    // cli-progress is loaded only when bars are drawn.
    const cliProgress = mode === 'bars' ? (createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress')) : undefined;
    return new BlobProgress(stream, mode, cliProgress);
  }

  private line(text: string): void {
    if (this.mode === 'quiet') return;
    if (this.multibar !== undefined) this.multibar.log(`${text}\n`);
    else this.stream.write(`${text}\n`);
  }

  private bar(descriptor: Descriptor): SingleBar | undefined {
    if (this.multibar === undefined) return undefined;
    let bar = this.bars.get(descriptor.digest);
    if (bar === undefined) {
      bar = this.multibar.create(descriptor.size, 0, { id: shortId(descriptor.digest), state: 'Waiting    ', done: '0B', size: humanSize(descriptor.size) });
      this.bars.set(descriptor.digest, bar);
    }
    return bar;
  }

  readonly onBlob = (descriptor: Descriptor, role: BlobRole, event: BlobEvent): void => {
    const id = shortId(descriptor.digest);
    const bar = role === 'layer' ? this.bar(descriptor) : undefined;
    switch (event.kind) {
      case 'exists':
        if (bar !== undefined) bar.update(descriptor.size, { state: 'Exists     ', done: humanSize(descriptor.size) });
        else if (role === 'layer') this.line(`${id}: Already exists`);
        break;
      case 'waiting':
        if (bar !== undefined) bar.update(0, { state: 'Waiting    ' });
        else this.line(`${id}: Waiting for another pull of the same layer`);
        break;
      case 'start':
        bar?.update(event.offset, { state: event.offset > 0 ? 'Resuming   ' : 'Downloading', done: humanSize(event.offset) });
        if (bar === undefined && event.offset > 0) this.line(`${id}: Resuming at ${humanSize(event.offset)}`);
        break;
      case 'progress':
        bar?.update(event.transferred, { state: 'Downloading', done: humanSize(event.transferred) });
        break;
      case 'retry':
        this.line(`${id}: Retrying (attempt ${event.attempt + 1}): ${event.reason}`);
        break;
      case 'done':
        if (bar !== undefined) bar.update(descriptor.size, { state: 'Complete   ', done: humanSize(descriptor.size) });
        else if (role === 'layer') this.line(`${id}: Pull complete (${humanSize(descriptor.size)})`);
        break;
    }
  };

  status(text: string): void {
    this.line(text);
  }

  stop(): void {
    this.multibar?.stop();
  }
}
