import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { removeAllContainers, run, sandbox, type Sandbox } from '../helpers/cli.js';

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
