import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CAPABILITIES } from '../../src/sandbox/capabilities.js';
import { PREBUILT_KERNEL, prebuiltFilterName } from '../../src/sandbox/seccomp-filter.js';
import { compileSeccomp, DEFAULT_SECCOMP_PROFILE } from '../../src/seccomp/index.js';

describe('the default seccomp filter compiled at build time', () => {
  it('is byte for byte what the compiler makes of the default profile for Docker\'s default capabilities, on each architecture', () => {
    for (const arch of ['x86_64', 'aarch64'] as const) {
      const built = readFileSync(new URL(`../../build/seccomp/${prebuiltFilterName(arch)}`, import.meta.url));
      expect(built.equals(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { arch, capabilities: DEFAULT_CAPABILITIES, kernelRelease: PREBUILT_KERNEL })), arch).toBe(true);
      // And what a kernel from then on gets: the prebuilt filter does not depend on the running kernel.
      expect(built.equals(compileSeccomp(DEFAULT_SECCOMP_PROFILE, { arch, capabilities: DEFAULT_CAPABILITIES, kernelRelease: '6.18.0' })), arch).toBe(true);
    }
  });
});
