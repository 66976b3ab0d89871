import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { execa } from 'execa';
import { dockerArchive, TAR_END, tarArchive, tarEntryBlocks, tarHeader, type LayerBlob, type TarEntry } from './tar-writer.js';

/**
 * The hostile layer corpus: images whose layers try every way out of their
 * root that a tar archive can spell, generated afresh for a test run. Each image
 * sits on a real busybox layer (so the test can look at the result from inside)
 * and says what must happen: the view from inside the container (the same for
 * every storage driver: overlayfs semantics), or the one-line error.
 *
 * `sentinel` is a host directory the corpus aims at: absolute and relative
 * symlinks to it, whiteouts through those symlinks (which, followed on the host,
 * would delete `sentinel/victim`), hardlinks to its files. It holds `victim` and
 * `etc/passwd` (with a user `hostuser`) for the test to plant.
 */
export interface HostileImage {
  tag: string;
  /** The layers above the busybox base, made when the archive is written. */
  layers: () => Promise<Array<Buffer | LayerBlob>> | Array<Buffer | LayerBlob>;
  /** What it checks, for the test's title. */
  title: string;
  /** A shell script run in the container, and what it must print. */
  check?: { script: string; stdout: string };
  /** The one-line error `burrow run` must give instead. */
  error?: RegExp;
  /** Notes that must be on stderr (entries skipped). */
  notes?: RegExp[];
  /** Extra environment for `burrow run` (the ceiling). */
  env?: Record<string, string>;
  /** Extra flags for `burrow run`. */
  flags?: string[];
}

/** A layer gzip-compressed as it streams by, with the digest of what went in. */
async function gzipLayer(parts: Iterable<Buffer>): Promise<LayerBlob> {
  const hash = createHash('sha256');
  const gzip = createGzip({ level: 6 });
  const out: Buffer[] = [];
  gzip.on('data', (chunk: Buffer) => out.push(chunk));
  const ended = once(gzip, 'end');
  for (const part of parts) {
    hash.update(part);
    if (!gzip.write(part)) await once(gzip, 'drain');
  }
  gzip.end();
  await ended;
  return { blob: Buffer.concat(out), diffId: `sha256:${hash.digest('hex')}` };
}

function* zeros(total: number): Generator<Buffer> {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = total; left > 0; left -= chunk.length) yield left >= chunk.length ? chunk : chunk.subarray(0, left);
}

const MiB = 1024 * 1024;
/** The ceiling the bomb tests set (BURROW_MAX_LAYER_SIZE). */
export const BOMB_CEILING = '64m';

/** Writes the image's `docker save` archive (its layers on `base`) into `dir`; returns its path. */
export async function writeHostileArchive(image: HostileImage, base: Buffer, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const archive = join(dir, `${image.tag.replace(/[/:]/g, '-')}.tar`);
  writeFileSync(archive, dockerArchive(image.tag, [base, ...(await image.layers())]));
  return archive;
}

/** The corpus, aimed at `sentinel`; `scratch` holds the files GNU tar reads to make its sparse archives. */
export function hostileCorpus(sentinel: string, scratch: string): HostileImage[] {
  const S = sentinel.replace(/^\//, '');
  const climb = '../'.repeat(12);
  const images: HostileImage[] = [];
  type Layers = HostileImage['layers'];
  const add = (tag: string, layers: Layers | Array<Buffer | LayerBlob>, image: Omit<HostileImage, 'tag' | 'layers'>): void => {
    images.push({ tag: `hostile/${tag}`, layers: typeof layers === 'function' ? layers : () => layers, ...image });
  };

  // --- path traversal in every spelling, and links out, within one layer ------
  add('traversal:latest', [tarArchive([
    { name: '../escape-dotdot', content: 'x' },
    { name: `${climb}${S}/dotdot`, content: 'x' },
    { name: `/${S}/absolute`, content: 'x' },
    { name: `//${S}/double-slash`, content: 'x' },
    { name: `./../../${S}/dot-dotdot`, content: 'x' },
    { name: `a/../../${S}/down-and-up`, content: 'x' },
    { name: `a/b/../../../${S}/deeper`, content: 'x' },
    { name: 'pax-name', pax: { path: `${climb}${S}/pax` }, content: 'x' },
    { name: 'long-name', longName: `${climb}${S}/${'l'.repeat(150)}`, content: 'x' },
    { name: '..', content: 'x' },
    { name: 'a/..', content: 'x' },
    { name: 'out-abs', type: 'symlink', linkname: sentinel },
    { name: 'out-rel', type: 'symlink', linkname: `${climb}${S}` },
    { name: 'out-abs/via-abs', content: 'written through a symlink' },
    { name: 'out-rel/via-rel', content: 'written through a symlink' },
    { name: 'hl-abs', type: 'hardlink', linkname: `${sentinel}/victim` },
    { name: 'hl-rel', type: 'hardlink', linkname: `${climb}${S}/victim` },
    { name: 'hl-via-symlink', type: 'hardlink', linkname: 'out-abs/victim' },
    { name: 'ok', content: 'a normal file' },
  ])], {
    title: 'path traversal in every spelling; symlinks and hardlinks out of the root within a layer',
    // An absolute name is a name in the image: /S/absolute lands in the container's own /S.
    check: {
      script: `cat /ok; echo; readlink /out-abs; ls -A ${sentinel} | tr "\\n" " "; echo; ls /hl-abs /hl-rel /hl-via-symlink 2>/dev/null | wc -l`,
      stdout: `a normal file\n${sentinel}\nabsolute double-slash \n0`,
    },
    notes: [/skipped \d+ entr/],
  });

  // --- the reproduced bug: a whiteout applied through a symlink a lower layer planted
  add('whiteout-through-symlink:latest', [
    tarArchive([{ name: 'planted', type: 'symlink', linkname: sentinel }]),
    tarArchive([{ name: 'planted/.wh.victim' }]),
  ], {
    title: 'a whiteout in a later layer through a symlink to a host directory that an earlier layer planted',
    check: { script: 'if [ -L /planted ]; then echo symlink; else ls -A /planted | wc -l; fi', stdout: '0' },
  });

  // --- across layers: symlinks planted below, markers and files through them above
  add('across:latest', [
    tarArchive([
      { name: 'abs', type: 'symlink', linkname: sentinel },
      { name: 'rel', type: 'symlink', linkname: `${climb}${S}` },
      { name: 'up', type: 'symlink', linkname: climb },
      { name: 'd/', type: 'dir' },
      { name: 'd/keep', content: 'lower' },
      { name: 'dl/', type: 'dir' },
      { name: 'dl/old', content: 'lower' },
      { name: 'o/', type: 'dir' },
      { name: 'o/lower', content: 'lower' },
    ]),
    tarArchive([
      // A directory replaced by a symlink between layers.
      { name: 'dl', type: 'symlink', linkname: sentinel },
      // Whiteouts and opaque markers reached through a lower layer's symlinks.
      { name: 'abs/.wh.victim' },
      { name: 'abs/.wh..wh..opq' },
      { name: 'rel/.wh.victim' },
      { name: `up/${S}/.wh.victim` },
      { name: 'rel/planted', content: 'not on the host' },
      { name: 'hl-lower', type: 'hardlink', linkname: 'etc/passwd' },
      { name: 'd/.wh.keep' },
      { name: 'd/new', content: 'upper' },
      { name: 'o/.wh..wh..opq' },
      { name: 'o/upper', content: 'upper' },
    ]),
    tarArchive([
      // Through the symlink the layer below put where a directory was.
      { name: 'dl/.wh.victim' },
      { name: 'dl/.wh..wh..opq' },
      { name: 'dl/new', content: 'upper' },
      // `..` and nothing in whiteouts.
      { name: 'sub/.wh...' },
      { name: 'sub/.wh..' },
      { name: '.wh.' },
      { name: `${climb}${S}/.wh.victim` },
      { name: '../.wh.victim' },
      { name: 'sub/file', content: 'x' },
      // A whiteout and an opaque marker through a symlink of their own layer.
      { name: 'link2', type: 'symlink', linkname: sentinel },
      { name: 'link2/.wh.victim' },
      { name: 'link2/.wh..wh..opq' },
    ]),
  ], {
    title: 'symlinks across layers, a directory replaced by a symlink, whiteouts and opaque markers through symlinks, .. in whiteouts',
    check: {
      script: [
        'for p in abs rel up dl d o sub; do if [ -L /$p ]; then echo "$p: symlink"; else echo "$p: $(ls -A /$p | tr "\\n" " ")"; fi; done',
        'cat /rel/planted; echo',
        'readlink /link2',
        'ls /hl-lower 2>/dev/null || echo no-hl-lower',
        `ls -A /up/${S} | wc -l`,
      ].join('; '),
      stdout: ['abs: ', 'rel: planted ', 'up: tmp ', 'dl: new ', 'd: new ', 'o: upper ', 'sub: file ', 'not on the host', sentinel, 'no-hl-lower', '0'].join('\n'),
    },
    notes: [/skipped \d+ entr/],
  });

  // --- the image's /etc/passwd, read by burrow on the host, through a symlink --
  add('passwd-through-symlink:latest', [tarArchive([{ name: 'etc', type: 'symlink', linkname: `${sentinel}/etc` }])], {
    title: 'a user looked up in an /etc that is a symlink to a host directory is not found there',
    flags: ['-u', 'hostuser'],
    error: /^burrow: unable to find user hostuser: no matching entries in passwd file$/,
  });

  // --- mount points through symlinks: bubblewrap creates its mount points while the
  // host's root is at /oldroot, so a link through /oldroot would have it create
  // files in the sentinel. The launcher resolves them in the container's root. ---
  const etcFiles = { script: 'readlink /etc; ls /etc | tr "\\n" " "', files: 'hostname hosts resolv.conf ' };
  add('etc-oldroot:latest', [tarArchive([{ name: 'etc', type: 'symlink', linkname: `/oldroot${sentinel}` }])], {
    title: '/etc as an absolute link through /oldroot to a host directory: /etc/hosts & co. land in the container',
    check: { script: etcFiles.script, stdout: `/oldroot${sentinel}\n${etcFiles.files}` },
  });
  add('etc-dotdot:latest', [tarArchive([{ name: 'etc', type: 'symlink', linkname: `${climb}oldroot${sentinel}` }])], {
    title: '/etc as a relative chain of .. through oldroot to a host directory',
    check: { script: etcFiles.script, stdout: `${climb}oldroot${sentinel}\n${etcFiles.files}` },
  });
  for (const kernel of ['proc', 'sys', 'dev']) {
    add(`${kernel}-link:latest`, [tarArchive([{ name: kernel, type: 'symlink', linkname: `/oldroot${sentinel}` }])], {
      title: `/${kernel} as a link to a host directory through /oldroot is refused, as runc refuses it`,
      error: new RegExp(`^burrow: cannot set up the container: /${kernel} is a symbolic link in the image: proc, sysfs and /dev are mounted on ordinary directories only$`),
    });
  }
  // A host directory to mount as a volume (the test user's, with a file to see).
  const volume = join(scratch, 'volume');
  mkdirSync(volume, { recursive: true });
  writeFileSync(join(volume, 'in-volume'), 'volume content');
  add('volume-under-link:latest', [tarArchive([{ name: 'data', type: 'symlink', linkname: `/oldroot${sentinel}` }])], {
    title: 'a volume target below a link through /oldroot: the volume is mounted inside the container\'s root',
    flags: ['-v', `${volume}:/data/vol`],
    check: { script: 'readlink /data; cat /data/vol/in-volume', stdout: `/oldroot${sentinel}\nvolume content` },
  });
  add('docker-links:latest', [tarArchive([
    { name: 'run/', type: 'dir' },
    { name: 'var/run', type: 'symlink', linkname: '../run' },
    { name: 'etc/resolv.conf', type: 'symlink', linkname: '../run/resolv/stub.conf' },
  ])], {
    title: 'legitimate links still work as in Docker: a volume at /var/run/docker.sock with /var/run -> ../run, /etc/resolv.conf -> ../run/…',
    flags: ['-v', `${join(volume, 'in-volume')}:/var/run/docker.sock`],
    check: { script: 'cat /var/run/docker.sock; echo; cut -d" " -f5 /proc/self/mountinfo | grep -E "^/run/" | sort | tr "\\n" " "', stdout: 'volume content\n/run/docker.sock /run/resolv/stub.conf ' },
  });
  // No /etc of its own: bubblewrap makes one in the writable layer, which a job can
  // then replace by a link before the next start (hostile-layers.test.ts).
  add('no-etc:latest', [tarArchive([{ name: '.wh.etc' }])], {
    title: 'an image without /etc: bubblewrap makes one for /etc/hosts & co.',
    check: { script: 'ls /etc | tr "\\n" " "', stdout: etcFiles.files },
  });

  // --- whiteouts apply to lower layers only (OCI image spec) ---------------
  add('own-whiteout:latest', [
    tarArchive([
      { name: 'foo', content: 'lower' },
      { name: 'dir/', type: 'dir' },
      { name: 'dir/lower', content: 'lower' },
    ]),
    tarArchive([
      { name: '.wh.foo' },
      { name: 'foo', content: 'upper' },
      { name: 'dir/upper', content: 'upper' },
      { name: '.wh.dir' },
      { name: 'gone/.wh.nothing' },
    ]),
  ], {
    title: 'a layer holding both .wh.foo and foo keeps its foo; its own directory hides the lower one',
    check: { script: 'cat /foo; echo; ls -A /dir; ls -A /gone | wc -l', stdout: 'upper\nupper\n0' },
  });

  // --- the layer's own root entry, with a mode and an owner of the image's -------
  add('root-entry:latest', [tarArchive([
    { name: './', type: 'dir', mode: 0o555, uid: 1000, gid: 1000 },
    { name: 'ok', content: 'ok' },
  ])], {
    title: 'a layer whose root entry has mode 0555 and an owner of the image\'s is put in place (the rename asks no write permission of it)',
    check: { script: 'cat /ok', stdout: 'ok' },
  });

  // --- device nodes, FIFOs, sockets -------------------------------------------
  add('special:latest', [tarArchive([
    { name: 'dev/evil-null', type: 'char', devmajor: 1, devminor: 3 },
    { name: 'dev/evil-disk', type: 'block', devmajor: 8, devminor: 0 },
    { name: 'fifo', type: 'fifo' },
    // Tar has no type for a socket; an undefined type flag stands in for one.
    { name: 'socket', typeflag: 'Z' },
    { name: 'ok', content: 'ok' },
  ])], {
    title: 'device nodes, a FIFO and a socket-like entry of no tar type are skipped with a note',
    check: { script: 'cat /ok; echo; ls /dev/evil-null /dev/evil-disk /fifo /socket 2>/dev/null | wc -l', stdout: 'ok\n0' },
    notes: [/skipped 4 entries .*\/dev\/evil-null/],
  });

  // --- more skipped entries than the report lists (256 KiB of notes) -----------
  const devices = Array.from({ length: 3000 }, (_, index): TarEntry => ({ name: 'device', type: 'char', devmajor: 1, devminor: 3, pax: { path: `devices/${String(index).padStart(250, 'd')}` } }));
  add('many-devices:latest', [tarArchive(devices)], {
    title: '3000 device nodes with long names: the report lists the first, the note counts them all',
    check: { script: 'ls -A /devices 2>/dev/null | wc -l', stdout: '0' },
    notes: [/skipped 3000 entries \(device nodes need privileges; paths out of the layer are refused\): \/devices\/d+0, \/devices\/d+1, \/devices\/d+2, …/],
  });

  // --- names with NUL, over PATH_MAX, over NAME_MAX; an oversized PAX header -
  add('nul-name:latest', [tarArchive([{ name: 'nul', pax: { path: Buffer.from('nul\0hidden') }, content: 'x' }])], {
    title: 'a name with a NUL byte',
    error: /cannot unpack layer sha256:[0-9a-f]+ of .*hostile\/nul-name:latest: entry "nul\\u0000hidden" has a NUL byte in its name/,
  });
  add('nul-link:latest', [tarArchive([{ name: 'link', type: 'symlink', linkname: 'x', pax: { linkpath: Buffer.from(`/etc\0${sentinel}`) } }])], {
    title: 'a link target with a NUL byte',
    error: /entry "\/etc\\u0000.*" has a NUL byte in its name or link target/,
  });
  add('path-max:latest', [tarArchive([{ name: 'long', pax: { path: `${'deep/'.repeat(1000)}file` }, content: 'x' }])], {
    title: 'a name over PATH_MAX',
    error: /entry "deep\/deep\/.*\/file" has a name of 5004 bytes, more than PATH_MAX/,
  });
  add('name-max:latest', [tarArchive([{ name: 'long', pax: { path: `dir/${'n'.repeat(300)}` }, content: 'x' }])], {
    title: 'a name component over NAME_MAX',
    error: /entry "dir\/nnnn.*" has a name component of 300 bytes, more than NAME_MAX/,
  });
  add('pax-cap:latest', [tarArchive([{ name: 'big-pax', pax: { comment: 'c'.repeat(2 * MiB) }, content: 'x' }])], {
    title: 'a PAX extended header over the size cap',
    error: /the PAX extended header "PaxHeaders\/entry" holds 2(\.0)? MiB, more than the 1 MiB allowed/,
  });

  // --- a PAX header that sent the parser round for ever (a hung pull) ----------
  const loop = Buffer.from('12 path=abc\n18446744073709551604 x\n');
  add('pax-loop:latest', [Buffer.concat([tarHeader({ name: 'PaxHeaders/loop', typeflag: 'x' }, loop.length), loop, Buffer.alloc(512 - loop.length), ...tarEntryBlocks({ name: 'f', content: 'x' }), TAR_END])], {
    title: 'a PAX record whose length wraps around its header (12 + 2^64 - 12 = 0) is refused, not read round for ever',
    error: /cannot unpack layer sha256:[0-9a-f]+ of .*hostile\/pax-loop:latest: the layer is not a valid tar archive: the PAX extended header at byte 0 has a malformed record/,
  });

  // --- gzip bombs ---------------------------------------------------------------
  const bombSize = 512 * MiB;
  // A real tar of a 512 MiB file of zeros: its header declares the size, the zeros follow.
  const bombHeader = tarHeader({ name: 'bomb' }, bombSize);
  add('bomb:latest', () => gzipLayer([bombHeader, ...zeros(bombSize), TAR_END]).then((bomb) => [bomb]), {
    title: 'a gzip bomb (about 0.5 MiB that unpacks to 512 MiB) stopped by the ceiling',
    env: { BURROW_MAX_LAYER_SIZE: BOMB_CEILING },
    error: /cannot unpack layer sha256:[0-9a-f]+ of .*hostile\/bomb:latest: entry "bomb" declares 512 MiB, which takes the layer over its ceiling: the most a layer may hold is 64 MiB \(maxLayerSize in burrow's config, or BURROW_MAX_LAYER_SIZE\)/,
  });
  add('bomb-trailer:latest', () => gzipLayer([tarArchive([{ name: 'small', content: 'x' }]), ...zeros(256 * MiB)]).then((trailer) => [trailer]), {
    title: 'a gzip bomb hidden after the end of the tar, stopped by the ceiling on the stream',
    env: { BURROW_MAX_LAYER_SIZE: BOMB_CEILING },
    error: /cannot unpack layer sha256:[0-9a-f]+ of .*hostile\/bomb-trailer:latest: it uncompresses to more than the ceiling; the most a layer may hold is 64 MiB/,
  });

  // --- streams that do not decompress to what the image says ----------------------
  const wellFormed = (): Buffer => tarArchive([{ name: 'planted', content: 'from a layer that does not check' }]);
  add('bad-crc:latest', async () => {
    const layer = await gzipLayer([wellFormed()]);
    // The tar is whole, so the extractor finishes; only the gzip trailer's CRC-32 tells.
    layer.blob.writeUInt8(layer.blob.readUInt8(layer.blob.length - 8) ^ 0x01, layer.blob.length - 8);
    return [layer];
  }, {
    title: 'a gzip layer whose trailer (CRC-32) does not match its data is refused, though its tar is whole',
    // The inflater's words, or zlib's in Node (a build without the inflater).
    error: /layer sha256:[0-9a-f]+ of .*hostile\/bad-crc:latest is not a valid gzip stream \((a gzip trailer that does not match its data \(CRC-32 or size\) near compressed byte \d+|incorrect data check)\); remove the image and pull it again/,
  });
  add('wrong-diff-id:latest', async () => {
    const layer = await gzipLayer([wellFormed()]);
    return [{ blob: layer.blob, diffId: `sha256:${createHash('sha256').update('another layer').digest('hex')}` }];
  }, {
    title: 'a layer that uncompresses to something other than its diff_id is refused',
    error: /layer sha256:[0-9a-f]+ of .*hostile\/wrong-diff-id:latest uncompresses to sha256:[0-9a-f]{64}, not its diff_id sha256:[0-9a-f]{64}: the image is corrupt/,
  });

  // --- a sparse 100 GB file, in GNU tar's two sparse formats --------------------
  const sparseLayer = async (format: string): Promise<Buffer[]> => {
    // A 100 GB file with no data at all (a hole from end to end), archived by GNU tar.
    const sparseDir = join(scratch, 'sparse');
    mkdirSync(sparseDir, { recursive: true });
    writeFileSync(join(sparseDir, 'huge'), '');
    truncateSync(join(sparseDir, 'huge'), 100 * 1024 ** 3);
    const tar = (await execa('tar', ['--sparse', `--format=${format}`, '-C', sparseDir, '-cf', '-', 'huge'], { encoding: 'buffer' })).stdout as Uint8Array;
    return [Buffer.from(tar)];
  };
  for (const format of ['gnu', 'posix'] as const) {
    add(`sparse-${format}:latest`, () => sparseLayer(format), {
      title: `a sparse 100 GB file (GNU tar --sparse --format=${format}) refused by the ceiling, not written`,
      error: /entry ".*huge" declares 100 GiB \(stored sparse\), which takes the layer over its ceiling: the most a layer may hold is 32 GiB/,
    });
  }

  // --- 100,000 empty files -----------------------------------------------------
  const manyLayer = async (): Promise<LayerBlob[]> => {
    const many: TarEntry[] = [];
    for (let d = 0; d < 100; d++) {
      many.push({ name: `many/${d}/`, type: 'dir' });
      for (let f = 0; f < 1000; f++) many.push({ name: `many/${d}/${f}` });
    }
    return [await gzipLayer([tarArchive(many)])];
  };
  add('many:latest', manyLayer, {
    title: '100,000 empty files',
    check: { script: 'find /many -type f | wc -l', stdout: '100000' },
  });
  return images;
}
