import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { burrow, expectOneLineError, removeAllContainers, run, sandbox, type Sandbox } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';

/**
 * `burrow build` (issue 14: "build, ship, run"), as the unprivileged test user:
 * each Dockerfile here is built, then the image is run or inspected; failures
 * must leave no tag and no container behind.
 */
const busybox = (): string => `${bed().registries.anon}/busybox:latest`;

let box: Sandbox;

beforeAll(async () => {
  box = sandbox();
  expect((await run(box, ['pull', '-q', busybox()])).exitCode).toBe(0);
}, 120_000);

afterAll(async () => {
  await removeAllContainers(box);
});

async function ok(args: string[]): Promise<string> {
  const result = await run(box, args);
  if (result.exitCode !== 0) throw new Error(`burrow ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout;
}

/** A context directory with these files (a trailing / makes a directory). */
function context(name: string, files: Record<string, string>): string {
  const dir = join(box.dir, 'contexts', name);
  mkdirSync(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (path.endsWith('/')) mkdirSync(join(dir, path), { recursive: true });
    else writeFileSync(join(dir, path), content);
  }
  return dir;
}

async function containerCount(): Promise<number> {
  return (await ok(['ps', '-a', '-q'])).split('\n').filter(Boolean).length;
}

describe('burrow build', () => {
  it("runs RUN with \\ continuations in a container of the image, and the image runs (podman's 030-run build)", async () => {
    const dir = context('run-continued', {
      Dockerfile: `FROM ${busybox()}\nRUN rm -f /bin/nsenter-test; \\\n    printf '#!/bin/sh\\nfalse\\n' >> /bin/nsenter-test; \\\n    chmod +x /bin/nsenter-test\n`,
    });
    const output = await ok(['build', '-t', 'built-run', dir]);
    const lines = output.trim().split('\n');
    expect(lines[0]).toBe(`STEP 1/2: FROM ${busybox()}`);
    expect(lines[1]).toMatch(/^STEP 2\/2: RUN rm -f \/bin\/nsenter-test;/);
    expect(lines.at(-1)).toMatch(/^sha256:[0-9a-f]{64}$/);
    const id = lines.at(-1)!;
    const inside = await ok(['run', '--rm', '--network', 'none', 'built-run', 'sh', '-c', 'cat /bin/nsenter-test; /bin/nsenter-test; echo "status=$?"']);
    expect(inside.trim()).toBe('#!/bin/sh\nfalse\nstatus=1');
    // Detached with the image's own command, as podman's test then does.
    const detached = (await ok(['run', '-d', 'built-run', 'sleep', '30'])).trim();
    await ok(['rm', '-f', detached]);
    const [inspected] = JSON.parse(await ok(['image', 'inspect', 'built-run'])) as Array<{ Id: string; RootFS: { Layers: string[] } }>;
    expect(inspected!.Id).toBe(id);
    // The build's containers are gone; only the named image is new (intermediates removed).
    expect(await containerCount()).toBe(0);
  });

  it("keeps VOLUME in the image's config (podman's 160-volumes build, from a Containerfile); the image's containers get a volume there", async () => {
    // A RUN after VOLUME keeps what it writes there (BuildKit's way, Docker's builder since 23.0); a container's copy-up then shows it.
    const dir = context('volume', { Containerfile: `FROM ${busybox()}\nVOLUME /data\nRUN mkdir -p /data && echo kept > /data/f\n` });
    await ok(['build', '-t', 'volume_image', dir]);
    const [inspected] = JSON.parse(await ok(['image', 'inspect', 'volume_image'])) as Array<{ Config: { Volumes: Record<string, object> } }>;
    expect(Object.keys(inspected!.Config.Volumes)).toEqual(['/data']);
    const volumes = await ok(['volume', 'ls', '-q']);
    expect((await ok(['run', '--rm', '--network', 'none', 'volume_image', 'sh', '-c', 'cat /data/f; grep -c " /data " /proc/mounts'])).trim()).toBe('kept\n1');
    // --rm took the anonymous volume with the container.
    expect(await ok(['volume', 'ls', '-q'])).toBe(volumes);
  });

  it('stops at a RUN that fails, naming its exit code: nothing tagged, no container left', async () => {
    const before = await containerCount();
    const images = await ok(['images', '-q', '-a']);
    const dir = context('fails', { Dockerfile: `FROM ${busybox()}\nRUN echo one > /one\nRUN exit 7\nRUN echo never\n` });
    const result = await run(box, ['build', '-t', 'never-tagged', dir]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).not.toContain('STEP 4/4');
    expect(expectOneLineError(result)).toMatch(/line 3: RUN .*exit 7.* returned a non-zero code: 7/);
    expect((await run(box, ['image', 'inspect', 'never-tagged'])).exitCode).not.toBe(0);
    expect(await containerCount()).toBe(before);
    // The first RUN's layer image is removed too.
    expect(await ok(['images', '-q', '-a'])).toBe(images);
  });

  it('COPY takes the context less .dockerignore, with --chown, ENV and ARG substituted', async () => {
    const dir = context('copy', {
      'Dockerfile': [
        `FROM ${busybox()}`,
        'ARG DEST=/default',
        'ARG UNSET',
        'ENV APP=/app GREETING="hello world"',
        'WORKDIR $APP',
        'COPY src/ ./src/',
        'COPY --chown=1234:5678 owned.txt ${DEST}/',
        'COPY notes.txt data.txt /multi/',
        'LABEL greeting="$GREETING" unset="${UNSET:-fallback}"',
        'USER 1234',
        'CMD ["sh", "-c", "echo $GREETING from $(pwd) as $(id -u)"]',
        '',
      ].join('\n'),
      '.dockerignore': '# the build output\n**/*.log\nsrc/secret\n!src/secret/keep\n',
      'src/a.txt': 'a',
      'src/debug.log': 'log',
      'src/deep/b.log': 'log',
      'src/deep/c.txt': 'c',
      'src/secret/key': 'private',
      'src/secret/keep': 'kept',
      'owned.txt': 'owned',
      'notes.txt': 'notes',
      'data.txt': 'data',
    });
    await ok(['build', '-q', '--build-arg', 'DEST=/given', '-t', 'built-copy', dir]);
    const files = await ok(['run', '--rm', '--network', 'none', '-u', '0', 'built-copy', 'sh', '-c',
      'cd /app && find src | sort | tr "\\n" " "; echo; stat -c "%u:%g %n" /given/owned.txt; cat /multi/notes.txt /multi/data.txt; echo; stat -c "%a" /tmp']);
    const [found, owned, multi, tmpMode] = files.trim().split('\n');
    expect(found!.trim().split(' ')).toEqual(['src', 'src/a.txt', 'src/deep', 'src/deep/c.txt', 'src/secret', 'src/secret/keep']);
    expect(owned).toBe('1234:5678 /given/owned.txt');
    expect(multi).toBe('notesdata');
    // A layer's directories keep the image's modes (nothing here touched /tmp's 1777).
    expect(tmpMode).toBe('1777');
    expect((await ok(['run', '--rm', '--network', 'none', 'built-copy'])).trim()).toBe('hello world from /app as 1234');
    const [inspected] = JSON.parse(await ok(['image', 'inspect', 'built-copy'])) as Array<{ Config: { Labels: Record<string, string>; Env: string[]; WorkingDir: string; User: string } }>;
    expect(inspected!.Config.Labels).toMatchObject({ greeting: 'hello world', unset: 'fallback' });
    expect(inspected!.Config.WorkingDir).toBe('/app');
    expect(inspected!.Config.User).toBe('1234');
    // ARG values are the build's, not the image's.
    expect(inspected!.Config.Env.some((entry) => entry.startsWith('DEST='))).toBe(false);
  });

  it('ARG reaches RUN and ENV wins over it; --build-arg sets it', async () => {
    const dir = context('args', { Dockerfile: `FROM ${busybox()}\nARG WHO=default\nARG BOTH=arg\nENV BOTH=env\nRUN echo "$WHO $BOTH" > /args\n` });
    await ok(['build', '-q', '--build-arg', 'WHO=given', '-t', 'built-args', dir]);
    expect((await ok(['run', '--rm', '--network', 'none', 'built-args', 'cat', '/args'])).trim()).toBe('given env');
  });

  it('refuses COPY ../x and a context symlink leading out of the context, before any image is made', async () => {
    const outsideDir = join(box.dir, 'contexts', 'outside-secret');
    mkdirSync(outsideDir, { recursive: true });
    writeFileSync(join(outsideDir, 'id_secret'), 'host secret');
    const parent = context('escape-parent', { Dockerfile: `FROM ${busybox()}\nCOPY ../outside-secret/id_secret /stolen\n` });
    const parentResult = await run(box, ['build', '-t', 'escaped', parent]);
    expect(parentResult.exitCode).not.toBe(0);
    expect(expectOneLineError(parentResult)).toMatch(/outside the build context/);

    const linked = context('escape-link', { Dockerfile: `FROM ${busybox()}\nCOPY secret /stolen\n` });
    symlinkSync(join(outsideDir, 'id_secret'), join(linked, 'secret'));
    const linkResult = await run(box, ['build', '-t', 'escaped', linked]);
    expect(linkResult.exitCode).not.toBe(0);
    expect(expectOneLineError(linkResult)).toMatch(/leads outside the build context/);

    const dirLinked = context('escape-dir-link', { Dockerfile: `FROM ${busybox()}\nCOPY keys/id_secret /stolen\n` });
    symlinkSync(outsideDir, join(dirLinked, 'keys'));
    const dirResult = await run(box, ['build', '-t', 'escaped', dirLinked]);
    expect(dirResult.exitCode).not.toBe(0);
    expect(expectOneLineError(dirResult)).toMatch(/leads outside the build context/);
    expect((await run(box, ['image', 'inspect', 'escaped'])).exitCode).not.toBe(0);
  });

  it('refuses what it does not build with one line naming the instruction and line', async () => {
    const cases: Array<[string, RegExp]> = [
      [`FROM ${busybox()} AS first\nRUN true\n`, /line 1: FROM: multi-stage/],
      [`FROM ${busybox()}\nCOPY --from=first /a /b\n`, /line 2: COPY: --from is not supported/],
      [`FROM ${busybox()}\nRUN --mount=type=cache,target=/c true\n`, /line 2: RUN: --mount is not supported/],
      [`FROM ${busybox()}\nONBUILD RUN true\n`, /line 2: ONBUILD/],
      [`FROM ${busybox()}\nRUN <<EOF\necho hi\nEOF\n`, /line 2: RUN: heredocs/],
      [`FROM ${busybox()}\nADD https://example.com/x /x\n`, /line 2: ADD: ADD of a URL/],
    ];
    for (const [index, [dockerfile, message]] of cases.entries()) {
      const dir = context(`refused-${index}`, { Dockerfile: dockerfile });
      const result = await run(box, ['build', dir]);
      expect(result.exitCode).not.toBe(0);
      expect(expectOneLineError(result)).toMatch(message);
    }
  });

  it('a build killed outright mid-RUN leaves only what system prune removes: no tag, no container, no image', async () => {
    const images = await ok(['images', '-q', '-a']);
    // The job prints 42, which its STEP line (`RUN echo $((40+2))…`) does not: the kill lands while the RUN's container runs.
    const dir = context('killed', { Dockerfile: `FROM ${busybox()}\nRUN echo first > /first\nRUN echo $((40+2)); sleep 60\n` });
    const child = burrow(box, ['build', '-t', 'killed-build', dir], { timeout: 90_000 });
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => { seen += chunk.toString(); });
    await until(() => /^42$/m.test(seen), 60_000, 'the RUN to start');
    child.kill('SIGKILL');
    await child;
    expect((await run(box, ['image', 'inspect', 'killed-build'])).exitCode).not.toBe(0);
    await until(async () => !(await ok(['ps', '-q', '--filter', 'label=io.burrow.build'])).trim(), 30_000, 'the build container to stop');
    await ok(['system', 'prune', '-f']);
    expect((await ok(['ps', '-a', '-q', '--filter', 'label=io.burrow.build'])).trim()).toBe('');
    expect(await ok(['images', '-q', '-a'])).toBe(images);
  }, 120_000);

  it('ADD unpacks a local tar archive; COPY into an existing directory; WORKDIR is made; the config instructions land in the image', async () => {
    const dir = context('config', {
      'build/Dockerfile.custom': [
        `FROM ${busybox()}`,
        'ADD bundle.tgz /opt/bundle/',
        'COPY a.txt /tmp',
        'WORKDIR /made/here',
        'RUN pwd > /pwd',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN echo "$0 $-" > /shell',
        'EXPOSE 8080 53/udp',
        'STOPSIGNAL SIGUSR1',
        'ENTRYPOINT echo entry',
        '',
      ].join('\n'),
      'a.txt': 'a',
      'tree/top.txt': 'top',
      'tree/sub/inner.txt': 'inner',
    });
    await execa('tar', ['-czf', join(dir, 'bundle.tgz'), '-C', join(dir, 'tree'), '.']);
    const output = await ok(['build', '--no-cache', '-q', '-f', join(dir, 'build/Dockerfile.custom'), '-t', 'built-config', dir]);
    // -q: the id only.
    expect(output.trim()).toMatch(/^sha256:[0-9a-f]{64}$/);
    const files = await ok(['run', '--rm', '--network', 'none', '--entrypoint', 'sh', 'built-config', '-c',
      'cat /opt/bundle/top.txt /opt/bundle/sub/inner.txt /tmp/a.txt; echo; cat /pwd /shell; stat -c "%a" /tmp']);
    const [contents, pwd, shell, tmpMode] = files.trim().split('\n');
    expect([contents, pwd, tmpMode]).toEqual(['topinnera', '/made/here', '1777']);
    // SHELL's -e is in force for the RUN after it.
    expect(shell).toMatch(/^\/bin\/sh [a-z]*e/);
    expect((await ok(['run', '--rm', '--network', 'none', 'built-config'])).trim()).toBe('entry');
    const [inspected] = JSON.parse(await ok(['image', 'inspect', 'built-config'])) as Array<{ Config: { ExposedPorts: Record<string, object>; StopSignal: string; Entrypoint: string[]; Cmd: string[] | null; WorkingDir: string } }>;
    expect(Object.keys(inspected!.Config.ExposedPorts).sort()).toEqual(['53/udp', '8080/tcp']);
    expect(inspected!.Config.StopSignal).toBe('SIGUSR1');
    expect(inspected!.Config.Entrypoint).toEqual(['/bin/sh', '-ec', 'echo entry']);
    expect(inspected!.Config.Cmd ?? null).toBeNull();
    expect(inspected!.Config.WorkingDir).toBe('/made/here');
  });

  it('builds from the library, without the CLI: progress lines by callback, the id returned, the name given', async () => {
    Object.assign(process.env, box.env);
    const lib = (await import(new URL('../../build/index.js', import.meta.url).href)) as typeof import('../../src/index.js');
    const store = new lib.Store(box.root);
    const dir = context('library', { Dockerfile: `FROM ${busybox()}\nENV FROM_LIBRARY=yes\nRUN echo "$FROM_LIBRARY" > /lib\n` });
    const progress: string[] = [];
    const result = await lib.buildImage(store, { context: dir, tags: ['built-library:1'], quiet: true, onProgress: (line) => progress.push(line) });
    expect(progress).toEqual([`STEP 1/3: FROM ${busybox()}`, 'STEP 2/3: ENV FROM_LIBRARY=yes', 'STEP 3/3: RUN echo "$FROM_LIBRARY" > /lib']);
    expect(result.names).toEqual(['docker.io/library/built-library:1']);
    expect((await ok(['run', '--rm', '--network', 'none', result.id, 'cat', '/lib'])).trim()).toBe('yes');
  });
});
