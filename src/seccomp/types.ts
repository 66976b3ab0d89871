/**
 * A seccomp profile in Docker's JSON format (moby's profiles/seccomp types), the
 * format of `docker run --security-opt seccomp=FILE`, as the compiler takes it:
 * burrow's default profile, or a file parseSeccompProfile accepted. The compiler
 * trusts it; the parser is where a profile is checked (schemas/seccomp.schema.json
 * and profile.ts). What burrow cannot do (a seccomp agent, seccomp(2) flags) the
 * parser refuses with a reason, and these types leave out.
 */

export type SeccompAction =
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_ERRNO'
  /** As in libseccomp, KILL is KILL_THREAD. */
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_LOG';

/** Comparisons of libseccomp, all unsigned 64-bit; MASKED_EQ is `(arg & value) == valueTwo`. */
export type SeccompOperator = 'SCMP_CMP_NE' | 'SCMP_CMP_LT' | 'SCMP_CMP_LE' | 'SCMP_CMP_EQ' | 'SCMP_CMP_GE' | 'SCMP_CMP_GT' | 'SCMP_CMP_MASKED_EQ';

/** libseccomp's architecture names; burrow compiles for X86_64 (with X86) and AARCH64. */
export type SeccompArchName =
  | 'SCMP_ARCH_NATIVE'
  | 'SCMP_ARCH_X86'
  | 'SCMP_ARCH_X86_64'
  | 'SCMP_ARCH_X32'
  | 'SCMP_ARCH_ARM'
  | 'SCMP_ARCH_AARCH64'
  | 'SCMP_ARCH_LOONGARCH64'
  | 'SCMP_ARCH_M68K'
  | 'SCMP_ARCH_MIPS'
  | 'SCMP_ARCH_MIPS64'
  | 'SCMP_ARCH_MIPS64N32'
  | 'SCMP_ARCH_MIPSEL'
  | 'SCMP_ARCH_MIPSEL64'
  | 'SCMP_ARCH_MIPSEL64N32'
  | 'SCMP_ARCH_PPC'
  | 'SCMP_ARCH_PPC64'
  | 'SCMP_ARCH_PPC64LE'
  | 'SCMP_ARCH_S390'
  | 'SCMP_ARCH_S390X'
  | 'SCMP_ARCH_PARISC'
  | 'SCMP_ARCH_PARISC64'
  | 'SCMP_ARCH_RISCV64'
  | 'SCMP_ARCH_SH'
  | 'SCMP_ARCH_SHEB';

/** An unsigned 64-bit argument value: a number up to 2^53, a bigint beyond. */
export type SeccompValue = number | bigint;

export interface SeccompArg {
  /** The syscall argument, 0 to 5. */
  index: number;
  /** Unsigned 64-bit: 0 to 2^64-1. */
  value: SeccompValue;
  valueTwo?: SeccompValue;
  op: SeccompOperator;
}

/** When a rule applies (includes: all must hold) or does not (excludes: any holds). */
export interface SeccompRuleFilter {
  /** Capability names (CAP_SYS_ADMIN or SYS_ADMIN) of the container's set. */
  caps?: string[] | null;
  /** Go architecture names of the host (amd64, arm64), as Docker compares them. */
  arches?: string[] | null;
  /** "major.minor" of the running kernel. */
  minKernel?: string;
}

export interface SeccompSyscallRule {
  names?: string[] | null;
  name?: string;
  action: SeccompAction;
  /** The errno of SCMP_ACT_ERRNO (EPERM when absent, as runc) or the data of SCMP_ACT_TRACE. */
  errnoRet?: number;
  /** All must hold for the rule to match (AND); several rules for one syscall are OR'd. */
  args?: SeccompArg[] | null;
  includes?: SeccompRuleFilter | null;
  excludes?: SeccompRuleFilter | null;
  comment?: string;
}

export interface SeccompArchMapEntry {
  architecture: SeccompArchName;
  subArchitectures?: SeccompArchName[] | null;
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  /** The errno of an SCMP_ACT_ERRNO default action (EPERM when absent). */
  defaultErrnoRet?: number;
  architectures?: SeccompArchName[] | null;
  archMap?: SeccompArchMapEntry[] | null;
  syscalls?: SeccompSyscallRule[] | null;
}
