import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createGzip } from 'node:zlib';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { burrow, expectOneLineError, removeAllContainers, run, sandbox, type Sandbox, jsonLines } from '../helpers/cli.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { until } from '../helpers/poll.js';
import { tarHeader, TAR_END, tarEntryBlocks } from '../helpers/tar-writer.js';

const anon = (): string => bed().registries.anon;
const hexOf = (digest: string): string => digest.slice(digest.indexOf(':') + 1);

async function ok(box: Sandbox, args: string[]): Promise<string> {
  const result = await run(box, args, { timeout: 120_000 });
  expect(result.exitCode, `burrow ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function pulled(names: string[], registry = anon()): Promise<Sandbox> {
  const box = sandbox();
  for (const name of names) await ok(box, ['pull', '-q', `${registry}/${name}`]);
  return box;
}

/** Unpacks an image's layers (create does) without leaving a container. */
async function unpack(box: Sandbox, image: string): Promise<void> {
  const id = (await ok(box, ['create', image, 'true'])).trim();
  await ok(box, ['rm', id]);
}

/** The image's layers (diff_ids), as hex. */
async function layersOfImage(box: Sandbox, image: string): Promise<string[]> {
  const [inspected] = JSON.parse(await ok(box, ['image', 'inspect', image])) as Array<{ RootFS: { Layers: string[] } }>;
  return inspected!.RootFS.Layers.map(hexOf);
}

/** `layers/`: the layer directories and the info files, each by hex, and anything else by name. */
function layerEntries(box: Sandbox): { dirs: string[]; infos: string[]; other: string[] } {
  const dir = join(box.root, 'layers');
  const names = existsSync(dir) ? readdirSync(dir) : [];
  return {
    dirs: names.filter((name) => /^[0-9a-f]{64}$/.test(name)).sort(),
    infos: names.filter((name) => /^[0-9a-f]{64}\.json$/.test(name)).map((name) => name.slice(0, 64)).sort(),
    other: names.filter((name) => !/^[0-9a-f]{64}(\.json)?$/.test(name)).sort(),
  };
}

function expectLayers(box: Sandbox, hexes: string[]): void {
  const sorted = [...new Set(hexes)].sort();
  expect(layerEntries(box)).toEqual({ dirs: sorted, infos: sorted, other: [] });
}

/** The identity (PID.STARTTIME.BOOTID) of a process that has exited: a finished shell's. */
function goneIdentity(): string {
  const [pid, start] = execaSync('sh', ['-c', 'echo $$ $(cut -d" " -f22 /proc/$$/stat)']).stdout.split(' ');
  return `${pid}.${start}.${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
}

/** This (test) process's identity: alive for the whole test. */
function liveIdentity(): string {
  const stat = readFileSync('/proc/self/stat', 'latin1');
  const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  return `${process.pid}.${start}.${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()}`;
}

interface Usage { rows: Array<{ type: string; total: number; active: number; size: number; reclaimable: number }> }
async function usage(box: Sandbox): Promise<Record<string, Usage['rows'][number]>> {
  const parsed = JSON.parse(await ok(box, ['system', 'df', '--format', 'json'])) as Usage;
  return Object.fromEntries(parsed.rows.map((row) => [row.type, row]));
}

interface Finding { kind: string; subject: string; detail: string; action?: string }
interface Report { ok: boolean; checked: Record<string, number>; problems: Finding[]; garbage: Finding[]; repaired: Finding[] }
async function check(box: Sandbox, extra: string[] = []): Promise<{ exitCode: number; report: Report }> {
  const result = await run(box, ['system', 'check', '--format', 'json', ...extra], { timeout: 120_000 });
  expect(result.stderr).toBe('');
  return { exitCode: result.exitCode, report: JSON.parse(result.stdout) as Report };
}

describe('garbage collection of unpacked layers', () => {
  it('rmi and prune remove layers no image and no container needs; a container keeps its layers after rmi -f', async () => {
    const box = await pulled(['busybox:latest', 'compression:gzip', 'multilayer:oci']);
    const busybox = `${anon()}/busybox:latest`;
    const gzip = `${anon()}/compression:gzip`;
    const multilayer = `${anon()}/multilayer:oci`;
    const [base] = await layersOfImage(box, busybox);
    const gzipLayers = await layersOfImage(box, gzip);
    const multiLayers = await layersOfImage(box, multilayer);
    expect(gzipLayers[0]).toBe(base);
    await ok(box, ['create', '--name', 'keeper', busybox, 'true']);
    await unpack(box, gzip);
    await unpack(box, multilayer);
    expectLayers(box, [base!, ...gzipLayers, ...multiLayers]);

    // compression:gzip shares busybox's base: only its own layer goes.
    await ok(box, ['rmi', gzip]);
    expectLayers(box, [base!, ...multiLayers]);
    // busybox's image goes, its layer stays for the container made from it.
    expect(expectOneLineError(await run(box, ['rmi', busybox]))).toMatch(/used by container keeper/);
    await ok(box, ['rmi', '-f', busybox]);
    expectLayers(box, [base!, ...multiLayers]);
    expect((await run(box, ['start', '-a', 'keeper'])).exitCode).toBe(0);

    await ok(box, ['rm', 'keeper']);
    const pruned = await ok(box, ['system', 'prune', '-f']);
    expect(pruned).toContain(`Deleted Layers (unpacked):\ndeleted: sha256:${base}\n`);
    expectLayers(box, multiLayers);
    const all = await ok(box, ['system', 'prune', '-a', '-f']);
    for (const hex of multiLayers) expect(all).toContain(`deleted: sha256:${hex}`);
    expectLayers(box, []);
    expect((await check(box)).report.garbage).toEqual([]);
  });

  it('prune keeps what live processes are writing and removes what killed ones left (leftovers simulated: named as a killed unpack or prune leaves them; an unpack simulated by holding its lock)', async () => {
    const box = await pulled(['busybox:latest', 'compression:gzip']);
    const gzip = `${anon()}/compression:gzip`;
    await unpack(box, gzip);
    const [base, own] = await layersOfImage(box, gzip);
    const layers = join(box.root, 'layers');
    const killedUnpack = `.unpacking-${'a'.repeat(12)}.${goneIdentity()}`;
    const liveUnpack = `.unpacking-${'b'.repeat(12)}.${liveIdentity()}`;
    const cutShortRemoval = `.removing-${'c'.repeat(64)}.0a1b2c`;
    // An info file whose unpack was killed before the rename; one whose unpack (holding its lock) is about to rename.
    const orphanInfo = 'd'.repeat(64);
    const renaming = 'e'.repeat(64);
    const lockOf = (hex: string): string => join(box.root, 'locks', `layer-sha256-${hex}.lock`);
    // Its own process group: flock runs the next flock, which runs sleep, and all three hold the locks.
    const holder = execa('flock', ['-x', lockOf(renaming), 'flock', '-x', lockOf(own!), 'sleep', '120'], { reject: false, detached: true });
    try {
      await until(async () => (await execa('flock', ['-n', lockOf(own!), 'true'], { reject: false })).exitCode !== 0, 10_000, 'the locks to be held');
      // The image goes while an unpack holds its own layer's lock: the layer stays.
      await ok(box, ['rmi', gzip]);
      expect(layerEntries(box).dirs).toContain(own);

      for (const dir of [killedUnpack, liveUnpack, cutShortRemoval]) {
        mkdirSync(join(layers, dir, 'rootfs', 'etc'), { recursive: true });
        writeFileSync(join(layers, dir, 'rootfs', 'etc', 'file'), 'x'.repeat(1000));
      }
      writeFileSync(join(layers, `${orphanInfo}.json`), '{}');
      writeFileSync(join(layers, `${renaming}.json`), '{}');
      // And a pull's download cut short (its blob's lock is free), a create's directory killed before its record
      // (made two hours ago), and one being created now.
      writeFileSync(join(box.root, 'tmp', `sha256-${'f'.repeat(64)}.partial`), 'half a blob');
      const killedCreate = join(box.root, 'containers', '1'.repeat(64));
      const creating = join(box.root, 'containers', '2'.repeat(64));
      for (const dir of [killedCreate, creating]) mkdirSync(join(dir, 'upper'), { recursive: true });
      const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
      utimesSync(killedCreate, twoHoursAgo, twoHoursAgo);
      const before = await check(box);
      expect(before.exitCode).toBe(0);
      expect(before.report.problems).toEqual([]);
      expect(before.report.garbage.map((item) => item.subject).sort()).toEqual([`layers/${cutShortRemoval}`, `layers/${killedUnpack}`, `layers/${orphanInfo}.json`, `layers/${own}`, `tmp/sha256-${'f'.repeat(64)}.partial`, `containers/${'1'.repeat(64)}`].sort());

      await ok(box, ['system', 'prune', '-f']);
      expect(readdirSync(layers).sort()).toEqual([base!, `${base}.json`, own!, `${own}.json`, `${renaming}.json`, liveUnpack].sort());
      expect(readdirSync(join(box.root, 'tmp'))).toEqual([]);
      expect(readdirSync(join(box.root, 'containers'))).toEqual(['2'.repeat(64)]);
    } finally {
      process.kill(-holder.pid!, 'SIGKILL');
      await holder;
    }
    // The unpacks are gone: what they left goes with the next prune.
    await ok(box, ['system', 'prune', '-f']);
    expect(readdirSync(layers).sort()).toEqual([base!, `${base}.json`, liveUnpack].sort());
  });
  it('a container of the copy driver needs its image\'s layers only until it has copied them', async () => {
    const box = await pulled(['busybox:latest']);
    const busybox = `${anon()}/busybox:latest`;
    const [base] = await layersOfImage(box, busybox);
    await ok(box, ['create', '--name', 'copied', '--storage-driver', 'copy', busybox, 'cat', '/etc/hostname']);
    await ok(box, ['create', '--name', 'not-yet', '--storage-driver', 'copy', busybox, 'true']);
    await ok(box, ['rmi', '-f', busybox]);
    expectLayers(box, [base!]);
    expect((await run(box, ['start', '-a', 'copied'])).exitCode).toBe(0);
    // `not-yet` has not copied them: they stay.
    await ok(box, ['image', 'prune', '-f']);
    expectLayers(box, [base!]);
    await ok(box, ['rm', 'not-yet']);
    await ok(box, ['image', 'prune', '-f']);
    expectLayers(box, []);
    const again = await run(box, ['start', '-a', 'copied']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await check(box)).report).toMatchObject({ ok: true, problems: [] });
    await ok(box, ['rm', 'copied']);
  });
});

describe('system df', () => {
  it('counts containers (active: running; size: their writable layers), volumes and unpacked layers, with what is reclaimable', async () => {
    const box = await pulled(['busybox:latest']);
    const busybox = `${anon()}/busybox:latest`;
    try {
      await ok(box, ['run', '-d', '--name', 'running', busybox, 'sleep', '300']);
      await ok(box, ['run', '--name', 'stopped', busybox, 'sh', '-c', 'head -c 200000 /dev/zero > /big']);
      await ok(box, ['run', '--name', 'voluser', '-v', 'data1:/data', busybox, 'sh', '-c', 'head -c 50000 /dev/zero > /data/f']);
      const [base] = await layersOfImage(box, busybox);
      const info = JSON.parse(readFileSync(join(box.root, 'layers', `${base}.json`), 'utf8')) as { summary: { bytes: number } };
      expect(info.summary.bytes).toBeGreaterThan(0);

      const rows = await usage(box);
      expect(rows.Images).toMatchObject({ total: 1, active: 1, reclaimable: 0 });
      expect(rows.Containers).toMatchObject({ total: 3, active: 1 });
      expect(rows.Containers!.size).toBeGreaterThanOrEqual(200_000);
      expect(rows.Containers!.reclaimable).toBeGreaterThanOrEqual(200_000);
      expect(rows.Containers!.reclaimable).toBeLessThanOrEqual(rows.Containers!.size);
      expect(rows['Local Volumes']).toEqual({ type: 'Local Volumes', total: 1, active: 1, size: 50_000, reclaimable: 0 });
      expect(rows['Layers (unpacked)']).toEqual({ type: 'Layers (unpacked)', total: 1, active: 1, size: info.summary.bytes, reclaimable: 0 });

      const table = await ok(box, ['system', 'df']);
      const lines = table.trim().split('\n');
      expect(lines[0]).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE$/);
      expect(lines.slice(1).map((line) => line.split(/\s{3,}/)[0])).toEqual(['Images', 'Containers', 'Local Volumes', 'Layers (unpacked)']);
      expect(lines[2]).toMatch(/^Containers\s+3\s+1\s+/);

      await ok(box, ['rm', '-f', 'running', 'stopped', 'voluser']);
      const after = await usage(box);
      expect(after.Containers).toEqual({ type: 'Containers', total: 0, active: 0, size: 0, reclaimable: 0 });
      expect(after['Local Volumes']).toEqual({ type: 'Local Volumes', total: 1, active: 0, size: 50_000, reclaimable: 50_000 });
      expect(after['Layers (unpacked)']).toMatchObject({ total: 1, active: 0, reclaimable: info.summary.bytes });
      expect(after.Images).toMatchObject({ total: 1, active: 0 });
      expect(after.Images!.reclaimable).toBe(after.Images!.size);
    } finally {
      await removeAllContainers(box);
    }
  });
});

describe('system check', () => {
  it('passes a whole store; finds a damaged blob, a record whose content is damaged, a layer unlike its info file and one without; --repair removes them and unpacks a container\'s layer again', async () => {
    const box = await pulled(['busybox:latest', 'multilayer:oci']);
    const busybox = `${anon()}/busybox:latest`;
    const multilayer = `${anon()}/multilayer:oci`;
    await ok(box, ['create', '--name', 'c1', busybox, 'true']);
    await unpack(box, multilayer);
    const [base] = await layersOfImage(box, busybox);
    const multiLayers = await layersOfImage(box, multilayer);

    const whole = await check(box);
    expect(whole.exitCode).toBe(0);
    expect(whole.report).toMatchObject({ ok: true, problems: [], garbage: [], repaired: [] });
    expect(whole.report.checked).toEqual({ blobs: readdirSync(join(box.root, 'blobs', 'sha256')).length, images: 2, containers: 1, layers: 4 });
    const text = await run(box, ['system', 'check']);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/^Checked \d+ blobs, 2 images, 1 container, 4 unpacked layers in /);
    expect(text.stdout.trim().split('\n').at(-1)).toBe('The store is consistent');

    // The damage: a byte appended to one of multilayer's layer blobs, a file of its last layer changed, busybox's info file gone.
    const layerBlob = hexOf(fixture('multilayer:oci').layers![1]!);
    appendFileSync(join(box.root, 'blobs', 'sha256', layerBlob), 'x');
    appendFileSync(join(box.root, 'layers', multiLayers[2]!, 'data', 'layer3'), 'changed\n');
    rmSync(join(box.root, 'layers', `${base}.json`));

    const damaged = await check(box);
    expect(damaged.exitCode).toBe(1);
    expect(damaged.report.ok).toBe(false);
    const problems = damaged.report.problems.map((problem) => `${problem.kind} ${problem.subject}`).sort();
    expect(problems).toEqual([`blob sha256:${layerBlob}`, `image ${multilayer}`, `layer layers/${base}`, `layer layers/${multiLayers[2]}`].sort());
    expect(damaged.report.problems.find((problem) => problem.kind === 'blob')!.detail).toMatch(/^its content hashes to sha256:[0-9a-f]{64}/);
    expect(damaged.report.problems.find((problem) => problem.subject === `layers/${multiLayers[2]}`)!.detail).toMatch(/do not match its info file: .*bytes of files/);
    const damagedText = await run(box, ['system', 'check']);
    expect(damagedText.exitCode).toBe(1);
    expect(damagedText.stdout.trim().split('\n').at(-1)).toBe('4 problems remain: burrow system check --repair removes what is damaged');

    const repairedText = await run(box, ['system', 'check', '--repair'], { timeout: 120_000 });
    expect(repairedText.exitCode, repairedText.stdout + repairedText.stderr).toBe(0);
    const lines = repairedText.stdout.split('\n');
    expect(lines).toContain(`removed blob sha256:${layerBlob}: its content hashes to ${lines.find((line) => line.startsWith('removed blob'))!.split(' hashes to ')[1]}`);
    expect(lines.some((line) => line.startsWith(`removed image ${multilayer}: its layer blob sha256:${layerBlob} is damaged`))).toBe(true);
    expect(lines.some((line) => line.startsWith(`removed layer sha256:${multiLayers[2]}: its files do not match its info file`))).toBe(true);
    expect(lines.some((line) => line.startsWith(`removed layer sha256:${base}: its info file is missing`))).toBe(true);
    expect(lines.some((line) => line.startsWith('unpacked again container c1: its layer'))).toBe(true);
    expect(repairedText.stdout.split('\n').at(-1)).toBe('The store is consistent');

    // What is left of multilayer is garbage now, not damage; the container starts on its layer unpacked again.
    const after = await check(box);
    expect(after.exitCode).toBe(0);
    expect(after.report.garbage.map((item) => item.subject)).toEqual(expect.arrayContaining(multiLayers.slice(0, 2).map((hex) => `layers/${hex}`)));
    expectLayers(box, [base!, ...multiLayers.slice(0, 2)]);
    expect((await run(box, ['start', '-a', 'c1'])).exitCode).toBe(0);
    await ok(box, ['image', 'prune', '-f']);
    expect((await check(box)).report).toMatchObject({ ok: true, garbage: [] });
    await ok(box, ['rm', 'c1']);
  });

  it('--repair leaves a damaged layer a running container uses, and says so', async () => {
    const box = await pulled(['busybox:latest']);
    const busybox = `${anon()}/busybox:latest`;
    try {
      await ok(box, ['run', '-d', '--name', 'busy', busybox, 'sleep', '300']);
      const [base] = await layersOfImage(box, busybox);
      rmSync(join(box.root, 'layers', `${base}.json`));
      const repaired = await check(box, ['--repair']);
      expect(repaired.exitCode).toBe(1);
      expect(repaired.report.repaired).toEqual([]);
      expect(repaired.report.problems).toHaveLength(1);
      expect(repaired.report.problems[0]!.detail).toMatch(/left in place: running container busy uses it/);
      expect(existsSync(join(box.root, 'layers', base!))).toBe(true);
      await ok(box, ['rm', '-f', 'busy']);
      const again = await check(box, ['--repair']);
      expect(again.exitCode).toBe(0);
      expect(again.report.repaired.map((item) => `${item.action} ${item.subject}`)).toEqual([`removed sha256:${base}`]);
    } finally {
      await removeAllContainers(box);
    }
  });

  it('after a run killed (SIGKILL) mid-unpack: check passes and lists the scratch directory, the next run succeeds, prune removes the leftovers', async () => {
    const box = sandbox();
    // A layer that takes a while to unpack: 512 MiB of a file owned by a subordinate id (gzip makes it a small blob).
    const hash = createHash('sha256');
    const gzip = createGzip({ level: 1 });
    const compressed: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => compressed.push(chunk));
    const done = new Promise((resolve) => gzip.on('end', resolve));
    const write = (bytes: Buffer): void => {
      hash.update(bytes);
      gzip.write(bytes);
    };
    for (const block of tarEntryBlocks({ name: 'etc/', type: 'dir' })) write(block);
    for (const block of tarEntryBlocks({ name: 'etc/small', content: 'small\n' })) write(block);
    const size = 512 * 1024 * 1024;
    write(tarHeader({ name: 'big.bin', uid: 1000, gid: 1000 }, size));
    const zeros = Buffer.alloc(4 * 1024 * 1024);
    for (let written = 0; written < size; written += zeros.length) write(zeros);
    write(TAR_END);
    gzip.end();
    await done;
    const { dockerArchive } = await import('../helpers/tar-writer.js');
    const archive = join(box.dir, 'big.tar');
    writeFileSync(archive, dockerArchive('slow:latest', [{ blob: Buffer.concat(compressed), diffId: `sha256:${hash.digest('hex')}` }], { Cmd: ['/big.bin'] }));
    await ok(box, ['load', '-i', archive]);

    const layers = join(box.root, 'layers');
    const scratch = (): string | undefined => (existsSync(layers) ? readdirSync(layers).find((name) => name.startsWith('.unpacking-')) : undefined);
    const killed = burrow(box, ['run', '--rm', 'slow:latest'], { timeout: 300_000 });
    await until(() => {
      const name = scratch();
      return name !== undefined && existsSync(join(layers, name, 'big.bin'));
    }, 120_000, 'the unpack to start writing');
    killed.kill('SIGKILL');
    await killed;
    const left = scratch();
    expect(left).toBeDefined();
    // The extractor sees its input end and exits; only then is the scratch directory what a killed unpack leaves.
    await until(() => !execaSync('ps', ['-eo', 'args']).stdout.includes(left!), 60_000, 'the extractor to exit');

    const checked = await check(box);
    expect(checked.exitCode).toBe(0);
    expect(checked.report.problems).toEqual([]);
    expect(checked.report.garbage.map((item) => item.subject)).toContain(`layers/${left}`);
    const text = await run(box, ['system', 'check']);
    expect(text.stdout).toContain(`garbage leftover layers/${left}: left by an unpack that was killed`);

    // The image has no `true`: the run gets as far as starting the job (127, not found), so its layer was unpacked.
    const again = await run(box, ['run', '--rm', 'slow:latest', 'true'], { timeout: 300_000 });
    expect(again.exitCode, again.stderr).toBe(127);
    expect(layerEntries(box).dirs).toHaveLength(1);
    expect((await check(box)).report.problems).toEqual([]);
    expect(existsSync(join(layers, left!))).toBe(true);

    await ok(box, ['system', 'prune', '-f']);
    expect(scratch()).toBeUndefined();
    const final = await check(box);
    expect(final.report).toMatchObject({ ok: true, problems: [], garbage: [] });
    // The half a gigabyte belongs to a subordinate id: only burrow can remove it.
    await ok(box, ['rmi', 'slow:latest']);
    expectLayers(box, []);
  }, 600_000);
});

describe('system cache export and import', () => {
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await new FaultProxy(anon()).start();
  });
  afterAll(async () => {
    await proxy.stop();
  });

  it('a restored cache makes the next cold run download nothing; export is incremental and holds only the user\'s files', async () => {
    const images = ['busybox:latest', 'multiarch:latest'].map((name) => `${proxy.address}/${name}`);
    const source = sandbox();
    for (const image of images) await ok(source, ['pull', '-q', image]);
    await unpack(source, images[0]!);
    const cache = join(source.dir, 'ci-cache');

    const first = await ok(source, ['system', 'cache', 'export', cache]);
    const blobs = readdirSync(join(cache, 'blobs', 'sha256'));
    expect(first.trim()).toBe(`Exported 2 images to ${cache}: ${blobs.length} blobs, ${blobs.length} new (${blobs.length} linked, 0 copied, 0B)`);
    // The store's blobs, hard-linked (same file system), and nothing else: no unpacked layer, every file the user's.
    expect(blobs.sort()).toEqual(readdirSync(join(source.root, 'blobs', 'sha256')).sort());
    expect(statSync(join(cache, 'blobs', 'sha256', blobs[0]!)).nlink).toBe(2);
    const files = execaSync('find', [cache, '-printf', '%u %y %P\n']).stdout.split('\n');
    expect(files.every((line) => line.startsWith(`${process.env.USER ?? execaSync('id', ['-un']).stdout} `))).toBe(true);
    expect(files.filter((line) => / f /.test(line)).map((line) => line.split(' ')[2]).filter((path) => !path!.startsWith('blobs/sha256/')).sort()).toEqual(['burrow-cache.json', 'index.json', 'oci-layout']);
    const again = await ok(source, ['system', 'cache', 'export', cache]);
    expect(again.trim()).toBe(`Exported 2 images to ${cache}: ${blobs.length} blobs, 0 new (0 linked, 0 copied, 0B)`);

    // A new runner: the cache restored, the registry refusing everything.
    const restored = sandbox();
    const imported = await ok(restored, ['system', 'cache', 'import', cache]);
    expect(imported.split('\n').filter((line) => line.startsWith('Loaded image: ')).sort()).toEqual(images.map((image) => `Loaded image: ${image}`).sort());
    expect(imported).toContain(`Imported ${blobs.length} blobs`);
    const seen = proxy.seen.length;
    proxy.setRule(() => ({ kind: 'status', status: 503 }));
    try {
      const ran = await run(restored, ['run', '--rm', images[0]!, 'echo', 'from the cache']);
      expect(ran.stdout, ran.stderr).toBe('from the cache');
      const multi = await run(restored, ['run', '--rm', images[1]!, 'cat', '/arch']);
      expect(multi.stdout, multi.stderr).toBe('amd64');
    } finally {
      proxy.setRule(() => undefined);
    }
    expect(proxy.seen.length - seen).toBe(0);
    expect((await check(restored)).report).toMatchObject({ ok: true, problems: [] });

    // Importing again changes nothing; an image dropped from the store is dropped from the next export's blobs.
    expect(await ok(restored, ['system', 'cache', 'import', cache])).toContain(`Imported 0 blobs (0B), ${blobs.length} already in the store`);
    await ok(source, ['rmi', images[1]!]);
    const smaller = await ok(source, ['system', 'cache', 'export', cache]);
    expect(smaller).toMatch(/^Exported 1 image to .*: 3 blobs, 0 new \(0 linked, 0 copied, 0B\), 4 blobs no image needs removed$/);
    expect(readdirSync(join(cache, 'blobs', 'sha256')).sort()).toEqual(readdirSync(join(source.root, 'blobs', 'sha256')).sort());
  });

  it('import verifies every blob (a damaged one keeps its image out), the imported name wins; a cache on another file system is copied', async () => {
    const source = await pulled(['busybox:latest', 'multilayer:oci']);
    const busybox = `${anon()}/busybox:latest`;
    const multilayer = `${anon()}/multilayer:oci`;
    // /dev/shm is a tmpfs: another file system than the store's.
    const shm = join('/dev/shm', `burrow-cache-${process.pid}-${Date.now()}`);
    try {
      const exported = await ok(source, ['system', 'cache', 'export', shm]);
      expect(exported).toMatch(/\(0 linked, \d+ copied, [\d.]+[kM]?B\)/);
      const damagedCache = join(source.dir, 'damaged-cache');
      cpSync(shm, damagedCache, { recursive: true });
      appendFileSync(join(damagedCache, 'blobs', 'sha256', hexOf(fixture('multilayer:oci').layers![2]!)), 'x');

      const target = sandbox();
      // The target's own image of that name: the cache's replaces it, as docker load does.
      await ok(target, ['pull', '-q', `${anon()}/compression:gzip`]);
      await ok(target, ['tag', `${anon()}/compression:gzip`, busybox]);
      const result = await run(target, ['system', 'cache', 'import', damagedCache]);
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`Loaded image: ${busybox} (it named image ${fixture('compression:gzip').config!.slice(7, 19)} before; the imported name wins)`);
      expect(result.stderr.trim()).toMatch(new RegExp(`^burrow: not imported: ${multilayer.replace(/[.]/g, '\\.')}: the cache's blob sha256:${hexOf(fixture('multilayer:oci').layers![2]!)} hashes to sha256:[0-9a-f]{64} \\(damaged\\)$`));
      const names = jsonLines<{ ID: string; Repository: string; Tag: string }>(await ok(target, ['images', '--no-trunc', '--format', 'json'])).map((image) => `${image.Repository}:${image.Tag} ${image.ID}`).sort();
      expect(names).toEqual([`${anon()}/busybox:latest ${fixture('busybox:latest').config}`, `${anon()}/compression:gzip ${fixture('compression:gzip').config}`].sort());
      expect(existsSync(join(target.root, 'blobs', 'sha256', hexOf(fixture('multilayer:oci').layers![2]!)))).toBe(false);
      const checked = await check(target);
      expect(checked.report.problems).toEqual([]);
    } finally {
      rmSync(shm, { recursive: true, force: true });
    }
  });

  it('refuses a directory that is not a cache, in one line; a missing one is a cache miss', async () => {
    const box = await pulled(['busybox:latest']);
    const other = join(box.dir, 'not-a-cache');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(expectOneLineError(await run(box, ['system', 'cache', 'export', other]))).toMatch(/not-a-cache is not empty and holds no burrow cache \(no burrow-cache\.json\): export to a new or empty directory/);
    expect(readdirSync(other)).toEqual(['notes.txt']);
    expect(expectOneLineError(await run(box, ['system', 'cache', 'export', join(box.root, 'cache')]))).toMatch(/overlap: export to a directory outside the store/);
    expect(expectOneLineError(await run(box, ['system', 'cache', 'import', other]))).toMatch(/not-a-cache is not a burrow cache \(no index\.json\): make one with burrow system cache export/);
    const miss = await run(box, ['system', 'cache', 'import', join(box.dir, 'nothing-here')]);
    expect(miss.exitCode).toBe(0);
    expect(miss.stdout).toBe(`No cache at ${join(box.dir, 'nothing-here')}: nothing to import`);
    expect(expectOneLineError(await run(box, ['system', 'check', '--format', 'yaml']))).toMatch(/unknown --format "yaml": use table or json/);
  });
});
