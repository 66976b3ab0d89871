import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { jsonLines, removeAllContainers, run, sandbox, type Sandbox } from '../helpers/cli.js';

/**
 * Docker behaviours podman's system tests found lacking (issue 14): each test
 * holds burrow to what docker does, read from moby's and docker/cli's source.
 */
const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
let box: Sandbox;

beforeAll(async () => {
  box = sandbox();
  expect((await run(box, ['pull', '-q', busybox()])).exitCode).toBe(0);
});

afterAll(() => removeAllContainers(box));

const ok = async (args: string[]): Promise<string> => {
  const result = await run(box, args);
  expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
};

describe('wait', () => {
  it('of a container never started: 0 at once, as Docker\'s "not-running" condition; after a start, the job\'s status', async () => {
    await ok(['create', '--name', 'never-started', busybox(), 'sh', '-c', 'exit 3']);
    const first = await run(box, ['wait', 'never-started'], { timeout: 20_000 });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toBe('0');
    await ok(['start', 'never-started']);
    expect(await ok(['wait', 'never-started'])).toBe('3');
  });
});

describe('run -a', () => {
  it('-a stdin alone prints the container id (nothing else is attached), as docker run does', async () => {
    const result = await run(box, ['run', '--name', 'stdin-only', '-a', 'stdin', busybox(), 'echo', 'hello']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^[a-f0-9]{64}$/);
    expect(result.stdout).toBe(await ok(['inspect', '--format', '{{.Id}}', 'stdin-only']));
    // With its output attached, the container's output and no id.
    expect(await ok(['run', '--rm', '-a', 'stdout', busybox(), 'echo', 'hello'])).toBe('hello');
  });
});

describe('exec and run: a command that cannot run', () => {
  it('exits 126 or 127 with Docker\'s message: "is a directory: permission denied", lower case, never 125', async () => {
    await ok(['run', '-d', '--name', 'exec-target', busybox(), 'sleep', '1000']);
    const directory = await run(box, ['exec', 'exec-target', '/etc']);
    expect(directory.exitCode).toBe(126);
    expect(directory.stderr).toBe('burrow: exec: "/etc": is a directory: permission denied');
    const notExecutable = await run(box, ['exec', 'exec-target', '/etc/passwd']);
    expect(notExecutable.exitCode).toBe(126);
    expect(notExecutable.stderr).toBe('burrow: exec: "/etc/passwd": permission denied');
    const missing = await run(box, ['exec', 'exec-target', '/no/such/command']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toBe('burrow: exec: "/no/such/command": no such file or directory');
    const throughFile = await run(box, ['exec', 'exec-target', '/etc/passwd/x']);
    expect(throughFile.exitCode).toBe(127);
    // A user the container does not know: the exec cannot start, 126 as dockerd gives it.
    const user = await run(box, ['exec', '-u', 'no-such-user', 'exec-target', 'true']);
    expect(user.exitCode).toBe(126);
    expect(user.stderr).toBe('burrow: unable to find user no-such-user: no matching entries in passwd file');
    const ran = await run(box, ['run', '--rm', busybox(), '/etc']);
    expect(ran.exitCode).toBe(126);
    expect(ran.stderr).toBe('burrow: exec: "/etc": is a directory: permission denied');
  });
});

describe('save by image id', () => {
  it('writes no name, so load gives the image back untagged (<none>:<none>) under the same id, as Docker\'s save and load', async () => {
    // A store of its own: no container of the other tests holds the image.
    const own = sandbox();
    const ok = async (args: string[]): Promise<string> => {
      const result = await run(own, args);
      expect(result.exitCode, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result.stdout;
    };
    await ok(['pull', '-q', busybox()]);
    const id = (await ok(['image', 'inspect', '--format', '{{.Id}}', busybox()])).trim();
    const short = id.slice('sha256:'.length, 'sha256:'.length + 12);
    const byId = join(own.dir, 'by-id.tar');
    const byName = join(own.dir, 'by-name.tar');
    await ok(['save', short, '-o', byId]);
    await ok(['save', busybox(), '-o', byName]);
    const manifest = (file: string): Array<{ RepoTags: string[] | null }> => JSON.parse(execFileSync('tar', ['-xOf', file, 'manifest.json'], { encoding: 'utf8' })) as Array<{ RepoTags: string[] | null }>;
    expect(manifest(byId)[0]!.RepoTags ?? []).toEqual([]);
    expect(manifest(byName)[0]!.RepoTags).toEqual([busybox()]);

    await ok(['rmi', busybox()]);
    await ok(['load', '-i', byId]);
    expect(await ok(['images', '-a', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).toBe(`${short} <none>:<none>`);
    await ok(['rmi', short]);
    await ok(['load', '-i', byName]);
    expect(await ok(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'])).toBe(`${short} ${busybox()}`);
  });
});

describe('ps -s', () => {
  it('shows the writable layer\'s size and the whole root\'s as "virtual", as Docker\'s SIZE column; .Size alike', async () => {
    await ok(['run', '--name', 'sized', busybox(), 'sh', '-c', 'head -c 5000 /dev/zero > /written']);
    const table = (await ok(['ps', '-a', '-s', '--filter', 'name=sized'])).split('\n');
    expect(table[0]).toMatch(/\bNAMES\s+SIZE$/);
    const size = /(\S+) \(virtual (\S+)\)$/.exec(table[1]!);
    expect(size, table[1]).not.toBeNull();
    expect(size![1]).toBe('5kB');
    expect(size![2]).toMatch(/^[\d.]+MB$/);
    expect(await ok(['ps', '-a', '--filter', 'name=sized', '--format', '{{.Names}} {{.Size}}'])).toBe(`sized ${size![1]} (virtual ${size![2]})`);
    // Without -s the table has no SIZE column.
    expect((await ok(['ps', '-a', '--filter', 'name=sized'])).split('\n')[0]).toMatch(/NAMES$/);
  });
});

describe('--format json of a listing', () => {
  it('is one object a line, the fields a template sees (docker/cli\'s {{json .}}), for ps, images, volume ls and network ls', async () => {
    await ok(['create', '--name', 'listed-json', '-l', 'k=v', busybox(), 'true']);
    await ok(['volume', 'create', 'json-volume']);
    await ok(['network', 'create', 'json-network']);
    const cases: Array<[string[], string]> = [
      [['ps', '-a', '--filter', 'name=listed-json'], '{{json .}}'],
      [['images'], '{{json .}}'],
      [['volume', 'ls'], '{{json .}}'],
      [['network', 'ls'], '{{json .}}'],
    ];
    for (const [command, template] of cases) {
      const json = await ok([...command, '--format', 'json']);
      // Not an array: each line an object of its own, as Docker prints them.
      expect(json.startsWith('['), command.join(' ')).toBe(false);
      const rows = jsonLines<Record<string, string>>(json);
      expect(rows.length, command.join(' ')).toBeGreaterThan(0);
      for (const line of json.split('\n')) expect(JSON.parse(line), line).not.toBeInstanceOf(Array);
      // The same objects as the template that docker/cli's json stands for (ps's times aside: its RunningFor moves).
      if (command[0] !== 'ps') expect(json).toBe(await ok([...command, '--format', template]));
    }
    const [container] = jsonLines<Record<string, string>>(await ok(['ps', '-a', '--filter', 'name=listed-json', '--format', 'json']));
    expect(container).toMatchObject({ Names: 'listed-json', State: 'created', Labels: 'k=v' });
    expect(container!.ID).toMatch(/^[a-f0-9]{12}$/);
    // json shows every field, .Size too: docker/cli asks for sizes then.
    expect(container!.Size).toMatch(/^0B \(virtual [\d.]+MB\)$/);
    expect(jsonLines<{ Name: string; Driver: string }>(await ok(['volume', 'ls', '--format', 'json']))).toContainEqual(expect.objectContaining({ Name: 'json-volume', Driver: 'local' }));
    expect(jsonLines<{ Name: string }>(await ok(['network', 'ls', '--format', 'json'])).map((network) => network.Name)).toContain('json-network');
    await ok(['network', 'rm', 'json-network']);
  });
});
