import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, run, storeSnapshot } from '../helpers/cli.js';
import { busybox, multilayer, suiteSandbox } from '../helpers/suite.js';

/**
 * `burrow commit` (issue 14): a container's changes as a new image, for each root
 * file system driver, as the unprivileged test user. What the new layer holds is
 * read from the image as `burrow save` writes it (the layer's own tar listing), not
 * only through a container of the new image.
 */

const box = suiteSandbox({ pull: [busybox, multilayer], timeout: 120_000 });

async function ok(args: string[]): Promise<string> {
  const result = await run(box, args);
  if (result.exitCode !== 0) throw new Error(`burrow ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** The `tar -tv` listing of the image's last layer, from an OCI archive `burrow save` writes. */
async function lastLayerListing(image: string): Promise<string[]> {
  const dir = join(box.dir, `save-${image.replace(/[^a-z0-9]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  await ok(['save', '--format', 'oci-archive', '-o', join(dir, 'image.tar'), image]);
  await execa('tar', ['-xf', 'image.tar'], { cwd: dir });
  const blob = (digest: string): string => join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
  const manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), 'utf8')) as { layers: Array<{ digest: string }> };
  const listing = await execa('tar', ['--numeric-owner', '-tvzf', blob(manifest.layers.at(-1)!.digest)]);
  return String(listing.stdout).split('\n');
}

/** Path → "uid/gid type" for each entry of a listing. */
function entries(listing: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of listing) {
    const fields = line.split(/\s+/);
    if (fields.length < 6) continue;
    const path = fields.slice(5).join(' ').replace(/ -> .*$/, '').replace(/ link to .*$/, '').replace(/\/$/, '');
    found.set(path, `${fields[1]} ${fields[0]![0]}`);
  }
  return found;
}

describe.each(['overlay', 'fuse-overlayfs', 'copy'])('commit with the %s driver', (driver) => {
  it("makes the container's changes an image: files, owners, deletions, links, config", async () => {
    const name = `commit-${driver}`;
    const script = [
      'echo hello > /hello', 'mkdir -p /made/sub', 'echo secret > /made/sub/f', 'chown 1000:1000 /made/sub/f', 'chmod 600 /made/sub/f',
      'rm /data/xattr /data/keep/a', 'rm -rf /data/opaque && mkdir /data/opaque && echo new > /data/opaque/n',
      'ln /hello /hello2', 'ln -s /hello /hlink',
    ].join('; ');
    await ok(['run', '--name', name, '--network', 'none', '--storage-driver', driver, '-e', 'GIVEN=1', multilayer(), 'sh', '-c', script]);
    const id = (await ok(['commit', '-c', 'CMD ["cat", "/hello"]', '-c', 'ENV FROM_CHANGE=yes', '-c', 'EXPOSE 8080', '-m', 'the message', '-a', 'Jane', name, `committed-${driver}:v1`])).trim();
    expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The container is not needed by its image.
    await ok(['rm', name]);

    expect((await ok(['run', '--rm', '--network', 'none', `committed-${driver}:v1`])).trim()).toBe('hello');
    const inside = await ok(['run', '--rm', '--network', 'none', `committed-${driver}:v1`, 'sh', '-c', [
      'echo "owner=$(stat -c "%u:%g %a" /made/sub/f)"', 'echo "content=$(cat /made/sub/f)"', 'echo "data=$(ls /data | tr "\\n" " ")"',
      'echo "opaque=$(ls /data/opaque | tr "\\n" " ")"', 'echo "keep=$(ls /data/keep | tr "\\n" " ")"',
      'echo "inodes=$(stat -c %i /hello /hello2 | uniq | wc -l)"', 'echo "link=$(readlink /hlink)"', 'echo "env=$GIVEN $FROM_CHANGE"',
    ].join('; ')]);
    const seen = Object.fromEntries(inside.trim().split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]));
    expect(seen).toEqual({
      owner: '1000:1000 600', content: 'secret', data: 'hard1 hardtarget keep layer3 link opaque',
      // Deleted files stay deleted, and the opaque directory hides what the image had there.
      opaque: 'n', keep: '', inodes: '1', link: '/hello', env: '1 yes',
    });

    const [inspected] = JSON.parse(await ok(['image', 'inspect', `committed-${driver}:v1`])) as Array<{ Author: string; Config: { Cmd: string[]; Env: string[]; ExposedPorts: Record<string, object> }; RootFS: { Layers: string[] } }>;
    expect(inspected!.Author).toBe('Jane');
    expect(inspected!.Config.Cmd).toEqual(['cat', '/hello']);
    expect(inspected!.Config.Env).toEqual(expect.arrayContaining(['GIVEN=1', 'FROM_CHANGE=yes']));
    // What the run added (HOSTNAME, HOME) is the run's, not the image's.
    expect(inspected!.Config.Env.some((entry) => entry.startsWith('HOSTNAME=') || entry.startsWith('HOME='))).toBe(false);
    expect(Object.keys(inspected!.Config.ExposedPorts)).toEqual(['8080/tcp']);
    // overlay drivers add one layer on the image's three; the copy driver's image is its whole root, squashed.
    expect(inspected!.RootFS.Layers).toHaveLength(driver === 'copy' ? 1 : 4);

    const layer = entries(await lastLayerListing(`committed-${driver}:v1`));
    expect(layer.get('made/sub/f')).toBe('1000/1000 -');
    // The mount points bubblewrap made for burrow's own files are not the image's.
    expect(layer.has('etc/hosts')).toBe(false);
    expect(layer.has('etc/resolv.conf')).toBe(false);
    if (driver !== 'copy') {
      expect(layer.has('data/.wh.xattr')).toBe(true);
      expect(layer.has('data/keep/.wh.a')).toBe(true);
      expect(layer.has('data/opaque/.wh..wh..opq')).toBe(true);
      // Only the changes: a file of the image the container did not touch is not in the layer.
      expect(layer.has('bin/busybox')).toBe(false);
    }
    expect((await run(box, ['system', 'check'])).exitCode).toBe(0);
  }, 180_000);
});

describe('commit', () => {
  it('commits a running container, and an untagged image when no name is given', async () => {
    await ok(['run', '-d', '--name', 'commit-running', '--network', 'none', busybox(), 'sh', '-c', 'echo running > /r; touch /ready; sleep 300']);
    for (let tries = 0; tries < 100; tries++) {
      if ((await run(box, ['exec', 'commit-running', 'test', '-e', '/ready'])).exitCode === 0) break;
    }
    const id = (await ok(['commit', '-c', 'ENTRYPOINT ["cat"]', '-c', 'CMD ["/r"]', 'commit-running'])).trim();
    expect((await ok(['run', '--rm', '--network', 'none', id])).trim()).toBe('running');
    expect(await ok(['images', '-q', '--no-trunc'])).toContain(id);
    await ok(['rm', '-f', 'commit-running']);
  }, 120_000);

  it("never puts a host file into the image through a symlink the running container swaps in (attempts that must fail)", async () => {
    // A file only the host has, where the container's symlink points.
    const secretDir = join(box.dir, 'secret-dir');
    mkdirSync(secretDir, { recursive: true });
    writeFileSync(join(secretDir, 'id_rsa'), 'HOST-SECRET-5f1d\n');
    const swap = `mkdir -p /swap/d; echo container > /swap/d/id_rsa; touch /ready; while :; do mv /swap/d /swap/d.x; ln -s ${secretDir} /swap/d; rm /swap/d; mv /swap/d.x /swap/d; done`;
    await ok(['run', '-d', '--name', 'commit-swap', '--network', 'none', busybox(), 'sh', '-c', swap]);
    for (let tries = 0; tries < 100; tries++) {
      if ((await run(box, ['exec', 'commit-swap', 'test', '-e', '/ready'])).exitCode === 0) break;
    }
    for (let attempt = 0; attempt < 5; attempt++) {
      // A commit may fail because a file changed under it (one line); it must never succeed with the host's file.
      const result = await run(box, ['commit', 'commit-swap', `swapped:${attempt}`]);
      if (result.exitCode !== 0) {
        expect(expectOneLineError(result)).toMatch(/changed while it was read|cannot read the container's changes/);
        continue;
      }
      const dir = join(box.dir, `swap-${attempt}`);
      mkdirSync(dir);
      await ok(['save', '--format', 'oci-archive', '-o', join(dir, 'image.tar'), `swapped:${attempt}`]);
      await execa('tar', ['-xf', 'image.tar'], { cwd: dir });
      for (const blob of readdirSync(join(dir, 'blobs', 'sha256'))) {
        const bytes = readFileSync(join(dir, 'blobs', 'sha256', blob));
        const text = blob.length === 64 && bytes[0] === 0x1f ? gunzipSync(bytes).toString('latin1') : bytes.toString('latin1');
        expect(text).not.toContain('HOST-SECRET-5f1d');
      }
    }
    await ok(['rm', '-f', 'commit-swap']);
  }, 180_000);

  it('refuses bad input in one line, before any work, and leaves the store as it was', async () => {
    await ok(['create', '--name', 'commit-bad', '--network', 'none', busybox(), 'true']);
    const before = storeSnapshot(box.root);
    expect(expectOneLineError(await run(box, ['commit', 'no-such-container', 'x']))).toMatch(/no such container: no-such-container/);
    expect(expectOneLineError(await run(box, ['commit', '-c', 'FROM scratch', 'commit-bad']))).toMatch(/invalid --change "FROM scratch": expected one of CMD/);
    expect(expectOneLineError(await run(box, ['commit', '-c', 'EXPOSE 99999', 'commit-bad']))).toMatch(/"99999" is not a port/);
    expect(expectOneLineError(await run(box, ['commit', 'commit-bad', 'Bad::Name']))).toMatch(/invalid reference "Bad::Name"/);
    expect(storeSnapshot(box.root)).toEqual(before);
    await ok(['rm', 'commit-bad']);
  }, 60_000);
});
