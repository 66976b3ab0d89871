import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createWriteStream } from 'node:fs';
import { execa, execaSync } from 'execa';
import { describe, expect, it } from 'vitest';
import { bed, fixture } from '../helpers/bed.js';
import { BURROW_BIN, burrow, expectOneLineError, run, sandbox, storeSnapshot, type Sandbox, jsonLines } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';

const anon = (): string => bed().registries.anon;

async function pulled(names: string[]): Promise<Sandbox> {
  const box = sandbox();
  for (const name of names) {
    const result = await run(box, ['pull', '-q', `${anon()}/${name}`]);
    expect(result.exitCode, result.stderr).toBe(0);
  }
  return box;
}

describe('images, inspect, rmi', () => {
  it('lists images as a table with Docker\'s columns', async () => {
    const box = await pulled(['busybox:latest', 'multilayer:oci']);
    const { stdout } = await run(box, ['images']);
    const [header, ...rows] = stdout.trim().split('\n');
    expect(header).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    expect(rows).toHaveLength(2);
    expect(rows.join('\n')).toContain(fixture('busybox:latest').config!.slice(7, 19));
    const quiet = await run(box, ['images', '-q']);
    expect(quiet.stdout.trim().split('\n').sort()).toEqual([fixture('busybox:latest').config!.slice(7, 19), fixture('multilayer:oci').config!.slice(7, 19)].sort());
  });

  it('inspects by name and by short id', async () => {
    const box = await pulled(['multilayer:oci']);
    const byName = JSON.parse((await run(box, ['image', 'inspect', `${anon()}/multilayer:oci`])).stdout) as Array<Record<string, unknown>>;
    expect(byName[0]!.Id).toBe(fixture('multilayer:oci').config);
    expect(byName[0]!.RepoTags).toEqual([`${anon()}/multilayer:oci`]);
    expect(byName[0]!.RepoDigests).toEqual([`${anon()}/multilayer@${fixture('multilayer:oci').digest}`]);
    expect((byName[0]!.RootFS as { Layers: string[] }).Layers).toHaveLength(3);
    const byId = JSON.parse((await run(box, ['image', 'inspect', fixture('multilayer:oci').config!.slice(7, 19)])).stdout) as Array<Record<string, unknown>>;
    expect(byId[0]!.Id).toBe(byName[0]!.Id);
    const missing = await run(box, ['image', 'inspect', 'nothing:here']);
    expect(expectOneLineError(missing)).toMatch(/no such image: nothing:here/);
  });

  it('rmi untags, then deletes the blobs no other image needs', async () => {
    const box = await pulled(['busybox:latest', 'library/busybox:latest', 'multilayer:oci']);
    const blobsBefore = storeSnapshot(box.root).blobs;
    const first = await run(box, ['rmi', `${anon()}/library/busybox:latest`]);
    expect(first.stdout).toBe(`Untagged: ${anon()}/library/busybox:latest`);
    // busybox:latest still needs every one of those blobs.
    expect(storeSnapshot(box.root).blobs).toEqual(blobsBefore);
    const second = await run(box, ['rmi', `${anon()}/busybox`]);
    expect(second.stdout).toContain(`Deleted: ${fixture('busybox:latest').config}`);
    const remaining = storeSnapshot(box.root).blobs;
    expect(remaining).not.toContain(fixture('busybox:latest').digest.slice(7));
    for (const layer of fixture('multilayer:oci').layers!) expect(remaining).toContain(layer.slice(7));
    expect(expectOneLineError(await run(box, ['rmi', 'busybox']))).toMatch(/no such image: busybox/);
  });

  it('rmi refuses an image a container uses, unless --force (container record simulated: containers come with issue 4)', async () => {
    const box = await pulled(['busybox:latest']);
    const containerDir = join(box.root, 'containers', 'a'.repeat(64));
    mkdirSync(containerDir, { recursive: true });
    writeFileSync(join(containerDir, 'container.json'), JSON.stringify({ name: 'job1', image: { id: fixture('busybox:latest').config } }));
    const refused = await run(box, ['rmi', `${anon()}/busybox:latest`]);
    expect(expectOneLineError(refused)).toMatch(/is used by container job1: remove the container first, or use --force/);
    expect(jsonLines((await run(box, ['images', '--format', 'json'])).stdout)).toHaveLength(1);
    const forced = await run(box, ['rmi', '-f', `${anon()}/busybox:latest`]);
    expect(forced.exitCode).toBe(0);
    expect(jsonLines((await run(box, ['images', '--format', 'json'])).stdout)).toHaveLength(0);
  });
});

describe('tag', () => {
  it('gives an image another name; removing one name keeps the image for the other', async () => {
    const box = await pulled(['busybox:latest']);
    const id = fixture('busybox:latest').config!;
    const tagged = await run(box, ['tag', `${anon()}/busybox:latest`, 'tools/box:1']);
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    const names = async (): Promise<string[]> => jsonLines<{ ID: string; Repository: string; Tag: string }>((await run(box, ['images', '--no-trunc', '--format', 'json'])).stdout)
      .filter((image) => image.ID === id).map((image) => `${image.Repository}:${image.Tag}`).sort();
    expect(await names()).toEqual([`${anon()}/busybox:latest`, 'tools/box:1'].sort());
    const blobs = storeSnapshot(box.root).blobs;
    expect((await run(box, ['rmi', `${anon()}/busybox:latest`])).stdout).toBe(`Untagged: ${anon()}/busybox:latest`);
    expect(storeSnapshot(box.root).blobs).toEqual(blobs);
    expect(await names()).toEqual(['tools/box:1']);
    const ran = await run(box, ['run', '--rm', 'tools/box:1', 'echo', 'tagged']);
    expect(ran.stdout, ran.stderr).toBe('tagged');
  });

  it('names an untagged image, which then leaves <none>; refuses digest targets and unknown images', async () => {
    const box = sandbox();
    const untagged = join(box.dir, 'untagged.tar');
    await execa('skopeo', ['copy', '-q', `oci-archive:${bed().archives['busybox-oci']}`, `oci-archive:${untagged}`]);
    const loaded = await run(box, ['load', '-i', untagged]);
    expect(loaded.stdout, loaded.stderr).toBe(`Loaded image ID: ${fixture('busybox:latest').config}`);
    expect((await run(box, ['images'])).stdout).toMatch(/<none>\s+<none>/);
    const tagged = await run(box, ['image', 'tag', fixture('busybox:latest').config!.slice(7, 19), 'local/busybox']);
    expect(tagged.exitCode, tagged.stderr).toBe(0);
    const images = jsonLines<{ Repository: string; Tag: string }>((await run(box, ['images', '--format', 'json'])).stdout);
    expect(images.map((image) => `${image.Repository}:${image.Tag}`)).toEqual(['local/busybox:latest']);
    const before = storeSnapshot(box.root);
    expect(expectOneLineError(await run(box, ['tag', 'local/busybox', `other@sha256:${'a'.repeat(64)}`]))).toMatch(/cannot tag with a digest reference/);
    expect(expectOneLineError(await run(box, ['tag', 'nothing:here', 'other:1']))).toMatch(/no such image: nothing:here/);
    expect(expectOneLineError(await run(box, ['tag', 'local/busybox', 'Bad Name']))).toMatch(/Bad Name/);
    expect(storeSnapshot(box.root)).toEqual(before);
  });
});

describe('system df and prune', () => {
  it('df counts shared blobs once and shows what prune can reclaim', async () => {
    const box = await pulled(['busybox:latest', 'library/busybox:latest']);
    const usage = JSON.parse((await run(box, ['system', 'df', '--format', 'json'])).stdout) as { rows: { type: string; total: number; size: number; reclaimable: number }[] };
    const images = usage.rows.find((row) => row.type === 'Images')!;
    expect(images.total).toBe(1);
    const blobBytes = storeSnapshot(box.root).blobs.reduce((total, hex) => total + readFileSync(join(box.root, 'blobs', 'sha256', hex)).length, 0);
    expect(images.size).toBe(blobBytes);
    const table = await run(box, ['system', 'df']);
    expect(table.stdout).toMatch(/^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
  });

  it('prune removes unreferenced blobs and leftovers, and asks first', async () => {
    const box = await pulled(['busybox:latest']);
    const stray = join(box.root, 'blobs', 'sha256', 'f'.repeat(64));
    writeFileSync(stray, 'left by an older burrow');
    const refused = await run(box, ['system', 'prune']);
    expect(expectOneLineError(refused)).toMatch(/not on a terminal, so pass --force/);
    expect(existsSync(stray)).toBe(true);
    const pruned = await run(box, ['system', 'prune', '-f']);
    expect(pruned.stdout).toMatch(/Total reclaimed space: 23B/);
    expect(existsSync(stray)).toBe(false);
    expect(jsonLines((await run(box, ['images', '--format', 'json'])).stdout)).toHaveLength(1);
    const all = await run(box, ['system', 'prune', '-a', '-f']);
    expect(all.stdout).toContain(`untagged: ${anon()}/busybox:latest`);
    expect(storeSnapshot(box.root).blobs).toEqual([]);
  });

  it('prune never deletes the scratch directory of a load in progress (from a file or from standard input), only those of gone processes', async () => {
    const box = sandbox();
    const archive = readFileSync(bed().archives['busybox-docker']);
    const half = Math.floor(archive.length / 2);
    const tmp = join(box.root, 'tmp');
    const scratchOf = (kind: string): string | undefined => (existsSync(tmp) ? readdirSync(tmp).find((name) => name.startsWith(`${kind}.`) && readdirSync(join(tmp, name)).length > 0) : undefined);
    // A load from a FIFO and one from a pipe on standard input: each stops halfway until the test writes the rest.
    const fifo = join(box.dir, 'archive.fifo');
    await execa('mkfifo', [fifo]);
    const fromFile = burrow(box, ['load', '-i', fifo]);
    const fifoWriter = createWriteStream(fifo);
    fifoWriter.write(archive.subarray(0, half));
    const fromStdin = execa(process.execPath, [BURROW_BIN, 'load'], { env: box.env, stdin: 'pipe', reject: false });
    fromStdin.stdin!.write(archive.subarray(0, half));
    await until(() => scratchOf('load') !== undefined && scratchOf('stdin') !== undefined, 20_000);
    const inProgress = [scratchOf('load')!, scratchOf('stdin')!];
    // Left by a process that is gone (pid and start time of a finished shell): garbage.
    const gone = execaSync('sh', ['-c', 'echo $$ $(cut -d" " -f22 /proc/$$/stat)']).stdout.split(' ');
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    mkdirSync(join(tmp, `load.${gone[0]}.${gone[1]}.${bootId}.AbCdEf`), { recursive: true });
    writeFileSync(join(tmp, `load.${gone[0]}.${gone[1]}.${bootId}.AbCdEf`, 'entry-0'), 'left over');

    const pruned = await run(box, ['system', 'prune', '-f']);
    expect(pruned.exitCode, pruned.stderr).toBe(0);
    for (const name of inProgress) expect(existsSync(join(tmp, name)), name).toBe(true);
    expect(existsSync(join(tmp, `load.${gone[0]}.${gone[1]}.${bootId}.AbCdEf`))).toBe(false);

    fifoWriter.end(archive.subarray(half));
    fromStdin.stdin!.end(archive.subarray(half));
    for (const result of [await fromFile, await fromStdin]) {
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(String(result.stdout)).toBe('Loaded image: busybox:latest');
    }
    expect(readdirSync(tmp)).toEqual([]);
  });
});

describe('save and load', () => {
  it('loads a docker save archive and an OCI archive made by skopeo', async () => {
    const box = sandbox();
    const docker = await run(box, ['load', '-i', bed().archives['busybox-docker']]);
    expect(docker.exitCode, docker.stderr).toBe(0);
    expect(docker.stdout).toBe("Loaded image: busybox:latest");
    const images = jsonLines<{ ID: string }>((await run(box, ['images', '--no-trunc', '--format', 'json'])).stdout);
    expect(images[0]!.ID).toBe(fixture('busybox:latest').config);
    const oci = await run(box, ['load', '-i', bed().archives['busybox-oci']]);
    expect(oci.exitCode, oci.stderr).toBe(0);
    expect(oci.stdout).toMatch(/^Loaded image( ID)?: /);
    const multi = await run(box, ['load', '-i', bed().archives['multilayer-docker']]);
    expect(multi.exitCode, multi.stderr).toBe(0);
  });

  it('round-trips docker-archive and oci-archive, and skopeo reads what burrow saves', async () => {
    const box = await pulled(['multilayer:oci', 'compression:zstd']);
    for (const format of ['docker-archive', 'oci-archive']) {
      const file = join(box.dir, `saved-${format}.tar`);
      const saved = await run(box, ['save', '--format', format, '-o', file, `${anon()}/multilayer:oci`, `${anon()}/compression:zstd`]);
      expect(saved.exitCode, saved.stderr).toBe(0);
      const other = sandbox();
      const loaded = await run(other, ['load', '-i', file]);
      expect(loaded.exitCode, loaded.stderr).toBe(0);
      expect(loaded.stdout).toContain(`Loaded image: ${anon()}/multilayer:oci`);
      const images = jsonLines<{ ID: string }>((await run(other, ['images', '--no-trunc', '--format', 'json'])).stdout);
      expect(images.map((image) => image.ID).sort()).toEqual([fixture('multilayer:oci').config, fixture('compression:zstd').config].sort());
      // skopeo picks one image of the archive: docker-archive by its RepoTags, oci-archive by its ref.name (the tag: "oci").
      const inspected = await execa('skopeo', ['inspect', '--config', `${format}:${file}:${format === 'oci-archive' ? 'oci' : `${anon()}/multilayer:oci`}`], { reject: false });
      expect(inspected.exitCode, `${format}: ${inspected.stderr}`).toBe(0);
      expect(JSON.parse(inspected.stdout).rootfs.diff_ids).toHaveLength(3);
    }
  });

  it('refuses a file that is not an archive, and leaves no partial output when save fails', async () => {
    const box = await pulled(['busybox:latest']);
    const junk = join(box.dir, 'junk.tar');
    writeFileSync(junk, 'this is not a tar file at all'.repeat(40));
    const before = storeSnapshot(box.root);
    const bad = await run(box, ['load', '-i', junk]);
    expect(expectOneLineError(bad)).toMatch(/junk\.tar is (not a readable tar archive|neither a docker save archive)/);
    expect(storeSnapshot(box.root)).toEqual(before);
    const missing = await run(box, ['load', '-i', join(box.dir, 'nope.tar')]);
    expect(expectOneLineError(missing)).toMatch(/nope\.tar: no such file/);
    const target = join(box.dir, 'no-such-dir', 'out.tar');
    const failed = await run(box, ['save', '-o', target, `${anon()}/busybox:latest`]);
    expect(expectOneLineError(failed)).toMatch(/saving to .*out\.tar/);
    expect(existsSync(join(box.dir, 'no-such-dir'))).toBe(false);
    expect(readdirSync(join(box.root, 'tmp'))).toEqual([]);
  });

  it('saves to standard output and loads from standard input', async () => {
    const box = await pulled(['busybox:latest']);
    const file = join(box.dir, 'piped.tar');
    await execa(process.execPath, [BURROW_BIN, 'save', `${anon()}/busybox:latest`], { env: box.env, stdout: { file } });
    const other = sandbox();
    const loaded = await execa(process.execPath, [BURROW_BIN, 'load'], { env: other.env, stdin: { file } });
    expect(loaded.stdout).toBe(`Loaded image: ${anon()}/busybox:latest`);
  });
});

describe('configuration', () => {
  it('chooses the store: --root, then BURROW_ROOT, then $XDG_DATA_HOME/burrow', async () => {
    const box = sandbox();
    const explicit = join(box.dir, 'explicit');
    expect((await run(box, ['--root', explicit, 'pull', '-q', `${anon()}/busybox:latest`])).exitCode).toBe(0);
    expect(existsSync(join(explicit, 'index.json'))).toBe(true);
    expect(existsSync(box.root)).toBe(false);
    expect((await run(box, ['pull', '-q', `${anon()}/busybox:latest`])).exitCode).toBe(0);
    expect(existsSync(join(box.root, 'index.json'))).toBe(true);
    const xdg = join(box.dir, 'xdg');
    const viaXdg = await run(box, ['pull', '-q', `${anon()}/busybox:latest`], { env: { BURROW_ROOT: '', XDG_DATA_HOME: xdg } });
    expect(viaXdg.exitCode).toBe(0);
    expect(existsSync(join(xdg, 'burrow', 'index.json'))).toBe(true);
  });

  it('pulls docker.io images through a configured mirror, falling past a dead one', async () => {
    const box = sandbox({ config: { registryMirrors: ['http://127.0.0.1:1', `http://${anon()}`] } });
    const result = await run(box, ['pull', 'busybox']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/mirror http:\/\/127\.0\.0\.1:1 failed/);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('docker.io/library/busybox:latest');
    const images = jsonLines<{ Repository: string; Tag: string }>((await run(box, ['images', '--format', 'json'])).stdout);
    expect(images[0]).toMatchObject({ Repository: 'busybox', Tag: 'latest' });
  });

  it('speaks plain HTTP only to loopback or to registries listed as insecure', async () => {
    const port = anon().split(':')[1];
    const name = `registry.burrow.test:${port}`;
    const box = sandbox();
    const refused = await run(box, ['pull', `${name}/busybox:latest`]);
    expect(expectOneLineError(refused)).toMatch(/did not answer HTTPS: if it is a plain-HTTP registry you trust, list "registry\.burrow\.test:\d+" in insecureRegistries/);
    const allowed = sandbox({ config: { insecureRegistries: [name] } });
    const result = await run(allowed, ['pull', '-q', `${name}/busybox:latest`]);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('reports a config file that is not JSON', async () => {
    const box = sandbox();
    writeFileSync(box.env.BURROW_CONFIG!, '{ nope');
    const result = await run(box, ['pull', `${anon()}/busybox`]);
    expect(expectOneLineError(result)).toMatch(/burrow-config\.json is not valid JSON .*: fix or remove it/);
  });
});

describe('progress output', () => {
  it('draws per-layer bars on a terminal', async () => {
    const box = sandbox();
    const command = `${process.execPath} ${BURROW_BIN} pull ${anon()}/multilayer:docker`;
    const result = await execa('script', ['-qfec', command, '/dev/null'], { env: { ...process.env, ...box.env, TERM: 'xterm' }, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/\[[█░]+\]/);
    expect(result.stdout).toMatch(/Complete/);
  });

  it('prints one plain line per layer when not on a terminal', async () => {
    const box = sandbox();
    const result = await run(box, ['pull', `${anon()}/multilayer:docker`]);
    const lines = result.stderr.trim().split('\n');
    expect(lines.filter((line) => /^[a-f0-9]{12}: Pull complete \(/.test(line))).toHaveLength(3);
    expect(result.stderr).not.toMatch(/\x1b\[/);
  });
});

