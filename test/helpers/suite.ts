import { afterAll, beforeAll, expect } from 'vitest';
import { bed } from './bed.js';
import { removeAllContainers, run, sandbox, type Sandbox } from './cli.js';

/** The bed's busybox, from its anonymous registry: the image most tests run. */
export const busybox = (): string => `${bed().registries.anon}/busybox:latest`;

/** The bed's image of several layers (an OCI image), from its anonymous registry. */
export const multilayer = (): string => `${bed().registries.anon}/multilayer:oci`;

export interface SuiteOptions {
  /** Images pulled into the sandbox before the file's first test (default: busybox). */
  pull?: Array<() => string>;
  /** How long the pulls may take, when more than the hook timeout. */
  timeout?: number;
}

/**
 * The set-up most e2e files share: one sandbox (a private store, HOME and burrow
 * config) for the whole file, the images it needs pulled into it before the first
 * test, and every container in it removed after the last, so that a failed test
 * never leaves a job running past the suite. Call it at the top level of a test
 * file; a `beforeAll` of the file's own, declared after, runs once the pulls are
 * done.
 */
export function suiteSandbox(options: SuiteOptions = {}): Sandbox {
  const box = sandbox();
  beforeAll(async () => {
    for (const image of options.pull ?? [busybox]) {
      const pulled = await run(box, ['pull', '-q', image()]);
      expect(pulled.exitCode, `burrow pull ${image()}: ${pulled.stderr}`).toBe(0);
    }
  }, options.timeout);
  afterAll(() => removeAllContainers(box));
  return box;
}
