import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { expectOneLineError, removeAllContainers, run, sandbox, type CliResult, type Sandbox } from '../helpers/cli.js';

const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
let box: Sandbox;

/** stdout, its final newline stripped (execa's way). */
const ok = async (args: string[]): Promise<string> => {
  const result = await run(box, args);
  expect(result.exitCode, `burrow ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
};

/** A template error: one line, exit 1, and never the ordinary table on stdout. */
const templateError = (result: CliResult): string => {
  expect(result.exitCode).toBe(1);
  expect(result.stdout).toBe('');
  return expectOneLineError(result);
};

beforeAll(async () => {
  box = sandbox();
  await ok(['pull', '-q', busybox()]);
  await ok(['volume', 'create', '-l', 'tier=db', 'fmt-data']);
  await ok(['volume', 'create', 'fmt-spare']);
  await ok(['network', 'create', '-l', 'team=ci', 'fmt-net']);
  await ok(['create', '--name', 'fmt-made', '-l', 'com.example.version=1.0', '-l', 'tier=db', '-e', 'A=b', '-v', 'fmt-data:/data', busybox(), 'sh', '-c', 'exit 3']);
  await ok(['run', '-d', '--name', 'fmt-up', busybox(), 'sleep', '300']);
});

afterAll(() => removeAllContainers(box));

describe('inspect --format (Go templates, as docker inspect)', () => {
  it('fields, nested fields, slices and maps printed as Go prints them, index, json', async () => {
    expect(await ok(['inspect', '-f', '{{.State.Status}} {{.State.Running}} {{.State.ExitCode}} {{.Name}}', 'fmt-made'])).toBe('created false 0 /fmt-made');
    expect(await ok(['inspect', '--format', '{{.Config.Env}}', 'fmt-made'])).toMatch(/^\[(\S+ )*A=b( \S+)*\]$/);
    expect(await ok(['inspect', '-f', '{{.Config.Labels}}', 'fmt-made'])).toBe('map[com.example.version:1.0 tier:db]');
    expect(await ok(['inspect', '-f', '{{index .Config.Labels "com.example.version"}}', 'fmt-made'])).toBe('1.0');
    expect(JSON.parse(await ok(['inspect', '-f', '{{json .Config.Labels}}', 'fmt-made']))).toEqual({ 'com.example.version': '1.0', tier: 'db' });
    expect(await ok(['inspect', '-f', '{{range .Mounts}}{{.Type}} {{.Name}} {{.Driver}} {{.Destination}} {{.RW}}{{end}}', 'fmt-made'])).toBe('volume fmt-data local /data true');
    expect(await ok(['inspect', '-f', '{{.State.Dead}} {{.State.Restarting}} {{.RestartCount}} {{.Platform}}', 'fmt-made'])).toBe('false false 0 linux');
    expect(await ok(['inspect', '-f', '{{if eq .State.Status "running"}}up {{.State.Pid}}{{else}}down{{end}}', 'fmt-up', 'fmt-made'])).toMatch(/^up [1-9]\d*\ndown$/);
    expect(await ok(['container', 'inspect', '-f', '{{.Config.Image}}', 'fmt-made'])).toBe(`${busybox()}`);
  });

  it('images, volumes and networks take a template too', async () => {
    expect(await ok(['image', 'inspect', '-f', '{{.Os}}/{{.Architecture}} {{len .RootFS.Layers}}', busybox()])).toBe('linux/amd64 1');
    expect(await ok(['inspect', '--type', 'image', '-f', '{{index .RepoTags 0}}', busybox()])).toBe(`${busybox()}`);
    expect(await ok(['volume', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels.tier}}', 'fmt-data'])).toBe('fmt-data local local db');
    expect(await ok(['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{index .Labels "team"}} {{.Internal}}', 'fmt-net'])).toBe('fmt-net bridge ci false');
  });

  it('a field that does not exist, a nil pointer and a template that does not parse are one-line errors, exit 1', async () => {
    expect(templateError(await run(box, ['inspect', '-f', '{{.State.Nope}}', 'fmt-made']))).toMatch(/^burrow: template: :1:2: executing "" at <\.State\.Nope>: can't evaluate field Nope/);
    expect(templateError(await run(box, ['inspect', '-f', '{{.State.Health.Status}}', 'fmt-made']))).toMatch(/at <\.State\.Health\.Status>/);
    expect(templateError(await run(box, ['inspect', '-f', '{{.Name', 'fmt-made']))).toBe('burrow: template parsing error: template: :1: unclosed action');
    expect(templateError(await run(box, ['inspect', '-f', '{{nosuch .Name}}', 'fmt-made']))).toBe('burrow: template parsing error: template: :1: function "nosuch" not defined');
    expect(templateError(await run(box, ['volume', 'inspect', '-f', '{{.Nope}}', 'fmt-data']))).toMatch(/can't evaluate field Nope/);
  });
});

describe('listings --format: Docker\'s field names, table TEMPLATE, errors', () => {
  it('ps: .ID .Names .Image .Command .State .Status .Labels .Label .Mounts .Networks .LocalVolumes', async () => {
    expect((await ok(['ps', '--format', '{{.Names}}'])).split('\n')).toEqual(['fmt-up']);
    const made = await ok(['ps', '-a', '--filter', 'name=fmt-made', '--format', '{{.ID}}|{{.Image}}|{{.Command}}|{{.State}}|{{.Status}}|{{.Labels}}|{{.Label "tier"}}|{{.Mounts}}|{{.LocalVolumes}}|{{.Networks}}']);
    const [id, image, command, state, status, labels, tier, mounts, volumes, networks] = made.trim().split('|');
    expect(id).toMatch(/^[a-f0-9]{12}$/);
    expect([image, command, state, status, labels, tier, mounts, volumes, networks]).toEqual([busybox(), '"sh -c exit 3"', 'created', 'Created', 'com.example.version=1.0,tier=db', 'db', 'fmt-data', '1', 'bridge']);
    expect(await ok(['ps', '-a', '--no-trunc', '--filter', 'name=fmt-made', '--format', '{{len .ID}} {{.CreatedAt}} {{.RunningFor}}'])).toMatch(/^64 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC (Less than a second|\d+ seconds|A minute|\d+ minutes) ago$/);
    const table = await ok(['ps', '-a', '--filter', 'name=fmt-', '--format', 'table {{.Names}}\\t{{.State}}']);
    expect(table).toBe('NAMES      STATE\nfmt-up     running\nfmt-made   created');
    const json = (await ok(['ps', '--format', '{{json .}}'])).trim();
    expect(Object.keys(JSON.parse(json) as object).sort()).toEqual(['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
  });

  it('a bad template on ps, volume ls and system df is an error, not the ordinary table', async () => {
    expect(templateError(await run(box, ['ps', '--format', '{{.Nope}}']))).toMatch(/can't evaluate field Nope/);
    expect(templateError(await run(box, ['volume', 'ls', '--format', '{{.Name']))).toMatch(/^burrow: template parsing error/);
    expect(templateError(await run(box, ['system', 'df', '--format', '{{.Types}}']))).toMatch(/can't evaluate field Types/);
  });

  it('images: --format, REPOSITORY[:TAG], --filter reference=, dangling=, -a', async () => {
    const repository = busybox().replace(/:latest$/, '');
    expect(await ok(['images', '--format', '{{.Repository}}:{{.Tag}} {{len .ID}}'])).toBe(`${repository}:latest 12`);
    expect(await ok(['images', '-a', '--format', 'table {{.Tag}}\\t{{.Size}}'])).toMatch(/^TAG {7}SIZE\nlatest {4}\d[\d.]*[kM]B$/);
    expect(await ok(['images', '-q', repository])).toMatch(/^[a-f0-9]{12}$/);
    expect(await ok(['images', '-q', `${repository}:latest`])).toMatch(/^[a-f0-9]{12}$/);
    expect(await ok(['images', '-q', `${repository}:other`])).toBe('');
    expect(await ok(['images', '-q', '--filter', `reference=${repository.replace(/busybox$/, 'busy*')}`])).toMatch(/^[a-f0-9]{12}$/);
    expect(await ok(['images', '-q', '--filter', 'dangling=true'])).toBe('');
    expect(await ok(['images', '-q', '--filter', 'dangling=false'])).toMatch(/^[a-f0-9]{12}$/);
    expect(expectOneLineError(await run(box, ['images', '--filter', 'colour=red']))).toMatch(/invalid filter "colour"/);
  });

  it('volume ls: --format, --filter name= label= dangling= driver=, the list alias', async () => {
    expect(await ok(['volume', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Labels}}'])).toBe('fmt-data local tier=db\nfmt-spare local ');
    expect(await ok(['volume', 'list', '-q', '--filter', 'label=tier=db'])).toBe('fmt-data');
    expect(await ok(['volume', 'ls', '-q', '--filter', 'label=tier'])).toBe('fmt-data');
    expect(await ok(['volume', 'ls', '-q', '--filter', 'dangling=true'])).toBe('fmt-spare');
    expect(await ok(['volume', 'ls', '-q', '--filter', 'name=spare', '--filter', 'driver=local'])).toBe('fmt-spare');
    expect(await ok(['volume', 'ls', '--filter', 'name=data', '--format', 'table {{.Name}}\\t{{.Label "tier"}}'])).toBe('VOLUME NAME   LABEL\nfmt-data      db');
    expect(expectOneLineError(await run(box, ['volume', 'ls', '--filter', 'size=1']))).toMatch(/invalid filter "size"/);
  });

  it('network ls, system df, info and version take a template', async () => {
    expect(await ok(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.Labels}} {{len .ID}}'])).toBe('fmt-net bridge local team=ci 12');
    expect(await ok(['system', 'df', '--format', '{{.Type}}={{.TotalCount}}'])).toBe('Images=1\nContainers=2\nLocal Volumes=2\nLayers (unpacked)=1');
    expect(await ok(['system', 'df', '--format', 'table {{.Type}}\\t{{.Active}}'])).toMatch(/^TYPE {16}ACTIVE\nImages {14}1\n/);
    expect(await ok(['info', '--format', '{{.Containers}} {{.ContainersRunning}} {{.ContainersStopped}} {{.Images}} {{.OSType}} {{.ServerVersion}}'])).toBe('2 1 1 1 linux 0.1.0');
    expect(await ok(['info', '-f', '{{.DockerRootDir}}'])).toBe(`${box.root}`);
    expect(JSON.parse(await ok(['info', '--format', 'json'])) as { Rootless: boolean }).toMatchObject({ Rootless: true, OSType: 'linux' });
    expect(await ok(['info'])).toMatch(/^Client:\n Version: +0\.1\.0\n[\s\S]*\n Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n Images: 1\n/);
    expect(await ok(['version', '--format', '{{.Client.Version}} {{.Server.Version}} {{.Client.Os}}'])).toBe('0.1.0 0.1.0 linux');
    expect(await ok(['version'])).toMatch(/^Client:\n Version: +0\.1\.0\n/);
    expect(templateError(await run(box, ['version', '--format', '{{.Nope}}']))).toMatch(/can't evaluate field Nope/);
  });
});

describe('exit statuses and global flags, as Docker\'s', () => {
  it('a command\'s own error exits 1; run, create and start keep 125; a command line that does not parse is 125', async () => {
    expect((await run(box, ['inspect', 'no-such-thing'])).exitCode).toBe(1);
    expect((await run(box, ['rm', 'no-such-container'])).exitCode).toBe(1);
    expect((await run(box, ['stop', 'no-such-container'])).exitCode).toBe(1);
    expect((await run(box, ['volume', 'rm', 'no-such-volume'])).exitCode).toBe(1);
    expect((await run(box, ['rmi', 'no-such-image:1'])).exitCode).toBe(1);
    expect((await run(box, ['start', 'no-such-container'])).exitCode).toBe(125);
    expect((await run(box, ['container', 'start', 'no-such-container'])).exitCode).toBe(125);
    expect((await run(box, ['create', '--name', 'bad name', busybox(), 'true'])).exitCode).toBe(125);
    expect((await run(box, ['run', '--rm', '--name', 'bad name', busybox(), 'true'])).exitCode).toBe(125);
    expect((await run(box, ['ps', '--no-such-flag'])).exitCode).toBe(125);
  });

  it('rm -f and rmi -f of something that does not exist exit 0, saying nothing', async () => {
    expect(await run(box, ['rm', '-f', 'no-such-container'])).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(await run(box, ['rmi', '-f', 'no-such-image:1'])).toMatchObject({ exitCode: 0, stderr: '' });
  });

  it('--log-level is a global flag: debug, info, warn, error, fatal; anything else is refused', async () => {
    expect(await ok(['--log-level', 'error', 'version', '--format', '{{.Client.Version}}'])).toBe('0.1.0');
    expect(await ok(['-l', 'debug', 'ps', '-q', '--filter', 'name=fmt-up'])).toMatch(/^[a-f0-9]{12}$/);
    const refused = await run(box, ['--log-level', 'loud', 'ps']);
    expect(refused.exitCode).toBe(125);
    expect(expectOneLineError(refused)).toMatch(/'loud' is invalid/);
  });
});
