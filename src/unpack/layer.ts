import { createHash, type Hash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { start, startLight, type Finished } from '../util/spawn.js';
import { signalName } from '../util/posix-spawn.js';
import { trace } from '../util/trace.js';
import { BurrowError, fsError, isBurrowError } from '../errors.js';
import type { LocalImage } from '../image/local.js';
import { layerCompression, type Compression } from '../image/media-types.js';
import { acquireLock, type Lock } from '../store/flock.js';
import type { Store } from '../store/store.js';
import { userNamespaceFailure } from '../userns/failure.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';
import { notInstalled, RUN_DOCTOR, unshareProgram } from '../util/host-tools.js';
import { writeFileAtomic } from '../store/atomic.js';
import { type LayerInfo, type LayerSummary } from './layer-info.js';
import { layerInfoPath } from './paths.js';
import { INFLATER_EXIT, inflaterArgs, inflaterBinary, parseInflaterReport } from './inflate.js';
import { EXTRACTOR_BINARY } from './summary.js';
import { ceilingHint } from './limits.js';
import { removeInUserNamespace } from './remove.js';
import { layerPath, layerScratchPath } from './paths.js';


/** Raised by the meter: the layer's tar stream grew past the ceiling. */
class OverCeiling extends Error {}

/**
 * Counts the uncompressed bytes and hashes them on the way (for the diff_id
 * check); stops the stream at the ceiling: a gzip bomb ends here, whatever its
 * tar headers say.
 */
function meter(ceiling: number, hash: Hash): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > ceiling) {
        callback(new OverCeiling());
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
}

type Settled = { status: 'fulfilled' } | { status: 'rejected'; reason: unknown };

function settle(promise: Promise<unknown>): Promise<Settled> {
  return promise.then(() => ({ status: 'fulfilled' as const }), (reason: unknown) => ({ status: 'rejected' as const, reason }));
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

function overCeiling(target: LayerBlob, ceiling: number): BurrowError {
  return new BurrowError('IO', `cannot unpack layer ${target.digest} of ${target.imageName}: it uncompresses to more than the ceiling; ${ceilingHint(ceiling)}`);
}

function extractorFailed(target: LayerBlob, outcome: Finished, fed: Settled): BurrowError {
  const detail = userNamespaceFailure(outcome.stderr) ?? (firstLine(outcome.stderr) || outcome.error?.message || (fed.status === 'rejected' ? String((fed.reason as Error).message) : 'the extractor failed'));
  return new BurrowError('IO', `cannot unpack layer ${target.digest} of ${target.imageName}: ${detail}`);
}

function notAValidStream(target: LayerBlob, compression: Compression, why: string): BurrowError {
  return new BurrowError('DIGEST_MISMATCH', `layer ${target.digest} of ${target.imageName} is not a valid ${compression} stream (${why}); remove the image and pull it again`);
}

function checkDiffId(target: LayerTarget, actual: string): void {
  if (actual !== target.diffId) {
    throw new BurrowError('DIGEST_MISMATCH', `layer ${target.digest} of ${target.imageName} uncompresses to ${actual}, not its diff_id ${target.diffId}: the image is corrupt`);
  }
}

/**
 * The layer through Node: decompressed (zlib's thread pool, or fzstd), counted,
 * hashed, and piped to the extractor. For every layer when the build had no
 * libcrypto for the inflater, and for zstd when it had no libzstd.
 */
async function extractInNode(input: Readable, extractorArgs: string[], compression: Compression, ceiling: number, target: LayerBlob): Promise<Extracted> {
  // Loaded here, not with this module: zlib and fzstd (from node_modules, outside the
  // bundle's code cache) cost a cold run 10-25 ms of CPU that the inflater's path never uses.
  const { decompressor } = await import('../util/decompress.js');
  const hash = createHash('sha256');
  const { child, finished } = start(unshareProgram(), extractorArgs, ['pipe', 'pipe', 'pipe'], { ownGroup: true });
  const decompress = decompressor(compression);
  const counted = meter(ceiling, hash);
  const feed = decompress === undefined ? pipeline(input, counted, child.stdin!) : pipeline(input, decompress, counted, child.stdin!);
  const [fed, outcome] = await Promise.all([settle(feed), finished]);
  if (fed.status === 'rejected' && fed.reason instanceof OverCeiling) throw overCeiling(target, ceiling);
  if (outcome.exitCode !== 0) throw extractorFailed(target, outcome, fed);
  if (fed.status === 'rejected') {
    if (isBurrowError(fed.reason)) throw fed.reason;
    throw notAValidStream(target, compression, (fed.reason as Error).message);
  }
  return { outcome, diffId: `sha256:${hash.digest('hex')}` };
}

type Launched = ReturnType<typeof startLight>;

/** The extractor in the layer's user namespace, unpacking into `dir` (`-`: the directory comes on its stdin). */
function extractorArgs(mapping: IdMapping, dir: string, ceiling: number): string[] {
  return [...unshareArgs(mapping), '--', EXTRACTOR_BINARY, 'extract', dir, mapping.single ? 'single' : 'mapped', String(ceiling)];
}

/** `--args-on-stdin`'s header: each field ended by a NUL, an empty field last. */
function nulFields(fields: readonly string[]): Buffer {
  return Buffer.from(`${fields.map((field) => `${field}\0`).join('')}\0`);
}

/**
 * A layer's inflater and extractor started before the layer is known
 * (`burrow-inflate --args-on-stdin -- … burrow-unpack extract - …`): started as a
 * cold run's pull begins, they cost the spawn and the extractor's user namespace
 * (newuidmap, newgidmap: ~10 ms) while the registry is still asked for the manifest,
 * not once the layer's bytes are coming. The first streamed layer takes it; one not
 * taken is released (its stdin ends before any byte: both exit, having touched nothing).
 */
export interface SpareExtraction {
  launched: Launched;
  /** Ends it if no layer took it (more than once is fine); settles once both processes have ended. */
  release(): Promise<void>;
}

/** Starts a spare for layers unpacked with `mapping` under `ceiling`; undefined where layers take the Node path (no inflater). */
export function startSpareExtraction(mapping: IdMapping, ceiling: number): SpareExtraction | undefined {
  if (inflaterArgs('gzip', ceiling) === undefined) return undefined;
  const launched = startLight(inflaterBinary(), ['--args-on-stdin', '--', unshareProgram(), ...extractorArgs(mapping, '-', ceiling)], ['pipe', 'pipe', 'pipe', 'pipe'], { ownGroup: true });
  // Not started (the inflater missing): the layer's own start then says so, where the pull expects it.
  if (launched.child.pid === undefined || launched.child.pid === 0 || launched.child.stdin === null) return undefined;
  let released: Promise<void> | undefined;
  return {
    launched,
    release: () => {
      released ??= (async () => {
        launched.child.stdin?.end();
        await launched.finished;
      })();
      return released;
    },
  };
}

/**
 * The layer through the inflater (`native/burrow-inflate.c`), which starts the
 * extractor itself (`-- unshare … burrow-unpack extract …`) with a pipe of its own
 * as the extractor's stdin: one spawn from Node per layer, not two (a spawn forks
 * this ~100 MB process and holds the event loop still meanwhile), and the tar
 * stream goes from one process to the other (decompressed, counted and hashed on
 * the way), never through Node; the two run side by side. The extractor's stdout
 * and stderr are the launch's own; the inflater's lines come on fd 3, the last one
 * the extractor's outcome. Its stdin is the stored blob itself when the layer is
 * unpacked from the store (an open descriptor: Node reads none of it), else a pipe
 * Node writes the bytes into as they download.
 */
async function extractNatively(feed: Feed, extractorArgs: string[], inflaterArgs: string[], compression: Compression, ceiling: number, target: LayerBlob, early?: { spare: SpareExtraction; scratch: string }): Promise<Extracted> {
  let launched: Launched;
  if (early !== undefined && 'stream' in feed) {
    // Started before the layer was known: told now which stream it is and where it goes.
    launched = early.spare.launched;
    launched.child.stdin!.write(nulFields([...inflaterArgs, early.scratch]));
  } else {
    try {
      // Its own process group, killed once it exits: see StartOptions.ownGroup (unshare's helper).
      // posix_spawn where koffi is loaded (the layer's lock has loaded it): no fork of this process.
      launched = startLight(inflaterBinary(), [...inflaterArgs, '--', unshareProgram(), ...extractorArgs], ['blob' in feed ? feed.blob : 'pipe', 'pipe', 'pipe', 'pipe'], { ownGroup: true });
    } finally {
      // The child has its own copy; ours would only keep the file open.
      if ('blob' in feed) closeSync(feed.blob);
    }
  }
  let lines = '';
  (launched.child.stdio[3] as Readable).on('data', (chunk: Buffer) => { lines += chunk.toString(); });
  const fedFrom = 'blob' in feed ? Promise.resolve<Settled>({ status: 'fulfilled' }) : settle(pipeline(feed.stream, launched.child.stdin!));
  const [fed, finished] = await Promise.all([fedFrom, launched.finished]);
  const { inflated, outcome } = splitLaunch(finished, lines);
  if (inflated.exitCode === INFLATER_EXIT.ceiling) throw overCeiling(target, ceiling);
  if (inflated.error !== undefined) throw new BurrowError('IO', `cannot unpack layer ${target.digest} of ${target.imageName}: ${inflated.error.message}`);
  if (outcome === undefined) {
    // No word of the extractor: the inflater stopped before it started one, or was killed.
    const why = firstLine(inflated.stderr) || (inflated.signal !== null ? `the inflater was killed by ${inflated.signal}` : `the inflater exited with ${inflated.exitCode}`);
    throw new BurrowError('IO', `cannot unpack layer ${target.digest} of ${target.imageName}: ${why}`);
  }
  if (outcome.exitCode !== 0) throw extractorFailed(target, outcome, fed);
  if (fed.status === 'rejected' && isBurrowError(fed.reason)) throw fed.reason;
  if (inflated.exitCode === INFLATER_EXIT.invalid) throw notAValidStream(target, compression, firstLine(inflated.stderr));
  const report = inflated.exitCode === 0 ? parseInflaterReport(inflated.stderr) : undefined;
  if (report === undefined) {
    const why = firstLine(inflated.stderr) || (inflated.signal !== null ? `the inflater was killed by ${inflated.signal}` : `the inflater exited with ${inflated.exitCode}`);
    throw new BurrowError('IO', `cannot unpack layer ${target.digest} of ${target.imageName}: ${why}`);
  }
  if (fed.status === 'rejected') throw notAValidStream(target, compression, (fed.reason as Error).message);
  return { outcome, diffId: report.diffId };
}

/**
 * One launch's outcome as the inflater's and the extractor's: the inflater's lines
 * (fd 3) hold its own report, then the extractor's outcome; the extractor's output
 * is the launch's stdout and stderr. The extractor's outcome is undefined when the
 * inflater said nothing of it.
 */
function splitLaunch(finished: Finished, lines: string): { inflated: Finished; outcome: Finished | undefined } {
  const all = lines.trimEnd().split('\n');
  const extractor = parseExtractorLine(all.at(-1) ?? '');
  const own = (extractor === undefined ? all : all.slice(0, -1)).join('\n');
  const inflated: Finished = { exitCode: finished.exitCode, signal: finished.signal, stdout: '', stderr: own, error: finished.error };
  if (extractor === undefined) return { inflated, outcome: undefined };
  const outcome: Finished = { exitCode: extractor.exitCode ?? null, signal: extractor.signal === undefined ? null : signalName(extractor.signal), stdout: finished.stdout, stderr: finished.stderr };
  if (extractor.error !== undefined) {
    // posix_spawnp's error: ENOENT is unshare missing from PATH (notInstalled names the package).
    outcome.error = Object.assign(new Error(extractor.error === 'ENOENT' ? `${notInstalled('unshare')}; ${RUN_DOCTOR}` : `cannot start unshare (${extractor.error})`), { code: extractor.error });
  }
  return { inflated, outcome };
}

function parseExtractorLine(line: string): { exitCode?: number; signal?: number; error?: string } | undefined {
  try {
    const parsed = JSON.parse(line) as { extractor?: { exitCode?: unknown; signal?: unknown; error?: unknown } };
    const extractor = parsed.extractor;
    if (typeof extractor !== 'object' || extractor === null) return undefined;
    return {
      exitCode: typeof extractor.exitCode === 'number' ? extractor.exitCode : undefined,
      signal: typeof extractor.signal === 'number' ? extractor.signal : undefined,
      error: typeof extractor.error === 'string' ? extractor.error : undefined,
    };
  } catch {
    return undefined;
  }
}

/** Where a layer's compressed bytes come from: a stream the caller writes, or the stored blob, open. */
type Feed = { stream: Readable } | { blob: number };

/** What the extractor reports on its stdout. */
interface ExtractorReport {
  skipped: string[];
  summary: LayerSummary;
}

/** A layer's blob: its descriptor's digest and media type, and the image it is named by in messages. */
export interface LayerBlob {
  digest: string;
  mediaType: string;
  imageName: string;
}

/** A layer to unpack: its blob, and its diff_id (the config's). */
export interface LayerTarget extends LayerBlob {
  diffId: string;
}

/** What an extraction ended with: the extractor's outcome and the diff_id the tar stream hashed to. */
interface Extracted {
  outcome: Finished;
  diffId: string;
}

/** A layer extracted into its scratch directory, checked, not yet in place. */
export interface Extraction {
  /** Where the layer's compressed bytes go, from byte 0; undefined when it reads the stored blob itself (`from`). */
  input: Writable | undefined;
  /** Settles when the extractor is done and the diff_id checked; rejects with a one-line error. */
  done: Promise<void>;
  /** Renames the layer into place (after `done`, and only when its blob is stored and verified). */
  commit(): void;
  /** Throws the scratch directory away and frees the layer. */
  discard(): Promise<void>;
}

/**
 * Starts unpacking one layer: compressed bytes → decompress → count (at most
 * `ceiling` bytes) and hash (checked against the diff_id), in the inflater (or in
 * Node, see extractInNode) → the confined extractor (`native/burrow-unpack.c`)
 * inside the user namespace, into a scratch directory that becomes the layer's
 * directory only on `commit`. The layer's info file (what it holds, for `system
 * check`) is written just before that rename. A refused layer leaves nothing
 * behind. The bytes come from the caller through `input`, or (`from`: the stored
 * blob's path) from the file itself. Undefined when the layer is there already, or
 * (with `wait: false`) when another process is unpacking it.
 */
export async function startExtraction(store: Store, target: LayerTarget, mapping: IdMapping, ceiling: number, notes: string[], options: { wait?: boolean; from?: string } = {}): Promise<Extraction | undefined> {
  const { diffId } = target;
  const lock = await claimLayer(store, diffId, options.wait !== false);
  if (lock === undefined) return undefined;
  // Named after this process: no one else writes it, and nothing is there yet. The
  // layer is unpacked into it, not into a directory below it: renamed within layers/,
  // a directory needs no write permission of its own, which the layer's root entry
  // (mode 0555, an owner of the image's) may not give the user.
  const scratch = layerScratchPath(store, diffId);
  const from = options.from;
  const input = from === undefined ? new PassThrough({ highWaterMark: 1024 * 1024 }) : undefined;
  const extracted = (async (): Promise<ExtractorReport> => {
    const { report, diffId: actual } = await runExtraction(target, scratch, mapping, ceiling, notes, input, from);
    checkDiffId(target, actual);
    return report;
  })();
  return extraction(store, target, scratch, mapping, input, extracted, () => ({ diffId, lock }));
}

/**
 * Starts unpacking a layer whose diff_id is not known yet (`burrow run` of an image
 * not in the store: the extractor starts while the config is still on its way), into a
 * scratch directory named by the blob's digest. Once `diffId` settles, the layer is
 * claimed as startExtraction claims it (not waiting: another process unpacking it, or
 * the layer there already, makes this one thrown away) and the tar stream's hash is
 * checked against it. `diffId` rejecting (the config refused) stops the extraction.
 * `spare`, when given, is the inflater and extractor already started for it.
 */
export function startStreamedExtraction(store: Store, blob: LayerBlob, diffId: Promise<string>, mapping: IdMapping, ceiling: number, notes: string[], spare?: SpareExtraction): Extraction {
  const scratch = layerScratchPath(store, blob.digest);
  const input = new PassThrough({ highWaterMark: 1024 * 1024 });
  let claimed: { diffId: string; lock: Lock } | undefined;
  const extracted = (async (): Promise<ExtractorReport> => {
    const running = runExtraction(blob, scratch, mapping, ceiling, notes, input, undefined, spare);
    running.catch(() => undefined); // Awaited below, whatever happens first.
    try {
      const expected = await diffId;
      const lock = await claimLayer(store, expected, false);
      if (lock === undefined) throw new BurrowError('IO', `layer ${blob.digest} of ${blob.imageName} is there already, or another process is unpacking it`);
      claimed = { diffId: expected, lock };
    } catch (error) {
      // Stop the extractor (its input ends short) and wait for it before its directory goes.
      input.destroy();
      await running.catch(() => undefined);
      throw error;
    }
    const { report, diffId: actual } = await running;
    checkDiffId({ ...blob, diffId: claimed.diffId }, actual);
    return report;
  })();
  return extraction(store, blob, scratch, mapping, input, extracted, () => claimed);
}

/** Holds layer `diffId`'s lock (undefined when the layer is there, or, not waiting, when another process has it). */
async function claimLayer(store: Store, diffId: string, wait: boolean): Promise<Lock | undefined> {
  const final = layerPath(store, diffId);
  if (existsSync(final)) return undefined;
  let busy = false;
  const lock = await acquireLock(join(store.paths.locks, `layer-${diffId.replace(':', '-')}.lock`), {
    onWait: () => { busy = true; },
    shouldStop: () => existsSync(final) || (busy && !wait),
  });
  if (lock === undefined || existsSync(final)) {
    lock?.release();
    return undefined;
  }
  return lock;
}

/** Spawns the inflater and the extractor into `scratch`, feeds them, and reads the extractor's report. */
async function runExtraction(blob: LayerBlob, scratch: string, mapping: IdMapping, ceiling: number, notes: string[], input: Readable | undefined, from: string | undefined, spare?: SpareExtraction): Promise<{ report: ExtractorReport; diffId: string }> {
  mkdirSync(scratch, { recursive: true, mode: 0o755 });
  const extractor = extractorArgs(mapping, scratch, ceiling);
  const compression = layerCompression(blob.mediaType);
  const native = inflaterArgs(compression, ceiling);
  // The spare serves a native extraction of streamed bytes; otherwise it ends, unused.
  const early = spare === undefined || native === undefined || input === undefined ? undefined : { spare, scratch };
  if (early === undefined) void spare?.release();
  const extracted = native === undefined
    ? await extractInNode(input ?? blobStream(from!), extractor, compression, ceiling, blob)
    : await extractNatively(input === undefined ? { blob: openBlob(from!, blob) } : { stream: input }, extractor, native, compression, ceiling, blob, early);
  trace(`unpack: layer ${blob.digest.slice(7, 19)} extracted`);
  const report = JSON.parse(extracted.outcome.stdout) as ExtractorReport;
  if (report.skipped.length > 0) {
    // The extractor lists 256 KiB of them; a last "and N more entries, not listed" counts the rest.
    const unlisted = /^and (\d+) more entries, not listed$/.exec(report.skipped.at(-1)!);
    const skipped = unlisted === null ? report.skipped : report.skipped.slice(0, -1);
    const count = skipped.length + (unlisted === null ? 0 : Number(unlisted[1]));
    notes.push(`layer ${blob.digest.slice(7, 19)}: skipped ${count} entr${count === 1 ? 'y' : 'ies'} (device nodes need privileges; paths out of the layer are refused): ${skipped.slice(0, 3).join(', ')}${count > 3 ? ', …' : ''}`);
  }
  return { report, diffId: extracted.diffId };
}

/**
 * The Extraction of a started unpack: a failure throws the scratch directory away
 * (once) and frees the layer; `commit` writes the info file and renames the scratch
 * directory into place. `claimed` says which layer this is, once that is known.
 */
function extraction(store: Store, blob: LayerBlob, scratch: string, mapping: IdMapping, input: PassThrough | undefined, extracted: Promise<ExtractorReport>, claimed: () => { diffId: string; lock: Lock } | undefined): Extraction {
  let released = false;
  const release = (): void => {
    if (!released) claimed()?.lock.release();
    released = true;
  };
  const discard = async (): Promise<void> => {
    // If even this fails, garbage collection removes it: its owner is gone by then.
    await removeInUserNamespace(scratch, mapping).catch(() => undefined);
    release();
  };
  let report: ExtractorReport | undefined;
  // Failed extractions are thrown away here, once; the caller sees the error through `done`.
  const done = extracted.then(
    (extractorReport) => { report = extractorReport; },
    async (error: unknown) => {
      input?.destroy();
      await discard();
      throw error;
    },
  );
  // Handled here too: a streamed layer's failure may come before anyone awaits it.
  done.catch(() => undefined);
  return {
    input,
    done,
    commit: () => {
      const { diffId } = claimed()!;
      const final = layerPath(store, diffId);
      try {
        const info: LayerInfo = { diffId, summary: report!.summary };
        // Not durable: a layer is a cache of its blob; `system check` finds one a crash cut short.
        writeFileAtomic(layerInfoPath(store, diffId), `${JSON.stringify(info)}\n`, 0o644, { durable: false });
        try {
          renameSync(scratch, final);
        } catch (error) {
          // No info file for a layer that is not there.
          rmSync(layerInfoPath(store, diffId), { force: true });
          throw fsError(error, `putting layer ${blob.digest} of ${blob.imageName} in place`);
        }
      } finally {
        release();
      }
    },
    discard,
  };
}

function openBlob(path: string, target: LayerBlob): number {
  try {
    return openSync(path, 'r');
  } catch (error) {
    throw fsError(error, `reading layer ${target.digest} of ${target.imageName}`);
  }
}

/** The stored blob through Node, for a layer the inflater cannot take (see extractInNode). */
function blobStream(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}

/** Unpacks one layer from its stored blob (see startExtraction). */
export async function unpackLayer(store: Store, image: LocalImage, index: number, mapping: IdMapping, ceiling: number, notes: string[]): Promise<void> {
  const layer = image.manifest.layers[index]!;
  const target = { digest: layer.digest, mediaType: layer.mediaType, diffId: image.config.rootfs.diff_ids[index]!, imageName: image.record.name };
  const extraction = await startExtraction(store, target, mapping, ceiling, notes, { from: store.blobPath(layer.digest) });
  if (extraction === undefined) return;
  await extraction.done;
  extraction.commit();
}
