import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { tarArchive } from '../helpers/tar-writer.js';

// From build/, as burrow runs: the native helpers are found beside the compiled modules (build/native/).
const built = <T>(path: string): Promise<T> => import(new URL(`../../build/${path}`, import.meta.url).href) as Promise<T>;
const { Store } = await built<typeof import('../../src/store/store.js')>('store/store.js');
const { idMapping } = await built<typeof import('../../src/userns/idmap.js')>('userns/idmap.js');
const { preloadLibc } = await built<typeof import('../../src/util/libc.js')>('util/libc.js');
const { startSpareExtraction, startStreamedExtraction } = await built<typeof import('../../src/unpack/layer.js')>('unpack/layer.js');
const { UnpackWhilePulling } = await built<typeof import('../../src/unpack/stream.js')>('unpack/stream.js');

/**
 * The spare extraction of a cold run (unpack/layer.ts: SpareExtraction): the first
 * layer's inflater and extractor, started before the layer is known, as the test
 * user in its real user namespace. Taken, it unpacks the layer into the directory
 * it is told of; not taken, both processes end having touched nothing.
 */
preloadLibc();
const base = mkdtempSync(join(tmpdir(), 'burrow-spare-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const mapping = idMapping();
const CEILING = 64 * 1024 * 1024;

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

/** This process's children that are spare inflaters (`--args-on-stdin`), alive. */
function spareInflaters(): number[] {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      return ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--args-on-stdin') && alive(pid);
    } catch {
      return false;
    }
  });
}

describe('a spare extraction', () => {
  it('taken by the first streamed layer: unpacks it where told, and the layer checks against its diff_id', async () => {
    const store = new Store(join(base, 'taken'));
    const tar = tarArchive([{ name: 'etc/', type: 'dir', mode: 0o755 }, { name: 'etc/spare', content: 'started early\n' }]);
    const blob = gzipSync(tar);
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    const diffId = `sha256:${createHash('sha256').update(tar).digest('hex')}`;
    const spare = startSpareExtraction(mapping, CEILING)!;
    expect(spare).toBeDefined();
    const extraction = startStreamedExtraction(store, { digest, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', imageName: 'spare-test' }, Promise.resolve(diffId), mapping, CEILING, [], spare);
    expect(extraction.input).toBeDefined();
    extraction.input!.end(blob);
    await extraction.done;
    extraction.commit();
    const layer = join(store.paths.root, 'layers', diffId.slice(7));
    expect(readFileSync(join(layer, 'etc', 'spare'), 'utf8')).toBe('started early\n');
    expect((await spare.launched.finished).exitCode).toBe(0);
  });

  it('not taken: released, both processes end and nothing is written', async () => {
    const spare = startSpareExtraction(mapping, CEILING)!;
    const pid = spare.launched.child.pid;
    expect(alive(pid)).toBe(true);
    await spare.release();
    const finished = await spare.launched.finished;
    expect(finished).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(alive(pid)).toBe(false);
  });

  it('UnpackWhilePulling: a pull that needed no layer (or failed) releases its spare at settle, and leaves no scratch directory', async () => {
    const store = new Store(join(base, 'unused'));
    const unpacking = new UnpackWhilePulling(store, mapping, CEILING, 'spare-test');
    unpacking.prepare();
    const [pid] = spareInflaters();
    expect(alive(pid)).toBe(true);
    await unpacking.settle(true);
    expect(alive(pid)).toBe(false);
    expect(spareInflaters()).toEqual([]);
    const layers = join(store.paths.root, 'layers');
    expect(existsSync(layers) ? readdirSync(layers) : []).toEqual([]);
  });
});
