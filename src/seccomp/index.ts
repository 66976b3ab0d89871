/** Seccomp for burrow's containers: Docker's profile format, burrow's default profile, and a compiler to classic BPF. */
export type { SeccompAction, SeccompArchName, SeccompArg, SeccompOperator, SeccompProfile, SeccompRuleFilter, SeccompSyscallRule, SeccompValue } from './types.js';
export { DEFAULT_SECCOMP_PROFILE } from './default-profile.js';
export { parseSeccompProfile, loadSeccompProfile } from './profile.js';
export { compileSeccomp, type CompileSeccompOptions } from './compile.js';
export { hostSeccompArch, syscallNumber, type SeccompHostArch, type SeccompFilterArch } from './arch.js';
