// The default seccomp filter, compiled at build time for Docker's default capability
// set on each architecture burrow has tables for: the filter almost every container
// gets, read from a file at create rather than compiled (loading the compiler and
// compiling cost a warm `burrow run` some 4 ms; see src/sandbox/seccomp-filter.ts).
// Profiles with `minKernel` rules are compiled for kernels from PREBUILT_KERNEL on;
// an older kernel compiles at create.
import { mkdirSync, writeFileSync } from 'node:fs';

const { compileSeccomp, DEFAULT_SECCOMP_PROFILE } = await import(new URL('../build/seccomp/index.js', import.meta.url).href);
const { DEFAULT_CAPABILITIES } = await import(new URL('../build/sandbox/capabilities.js', import.meta.url).href);
const { PREBUILT_KERNEL, prebuiltFilterName } = await import(new URL('../build/sandbox/seccomp-filter.js', import.meta.url).href);

mkdirSync(new URL('../build/seccomp/', import.meta.url), { recursive: true });
for (const arch of ['x86_64', 'aarch64']) {
  const filter = compileSeccomp(DEFAULT_SECCOMP_PROFILE, { arch, capabilities: DEFAULT_CAPABILITIES, kernelRelease: PREBUILT_KERNEL });
  writeFileSync(new URL(`../build/seccomp/${prebuiltFilterName(arch)}`, import.meta.url), filter);
}
