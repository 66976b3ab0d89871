/**
 * Compiles a seccomp profile (Docker's JSON semantics) to a classic BPF program:
 * the bytes burrow-init reads from `-S FD` and loads with
 * prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER), after its own setup, just before
 * it executes the job.
 *
 * The profile is trusted: it is burrow's default or one parseSeccompProfile
 * accepted, which is where every rule of a profile is checked (the file's name
 * in the error, the compiler needs no second copy of the checks). The seccomp
 * module is not part of burrow's library API, and what the parser refuses
 * (SCMP_ACT_NOTIFY, flags, a listener) the types cannot carry here.
 *
 * The program, for every syscall:
 *  1. checks seccomp_data.arch: each ABI the filter knows has its own section;
 *     any other architecture is killed (its syscall numbers mean other calls);
 *  2. on x86_64, kills x32 syscalls (numbers with bit 30 set): the same
 *     AUDIT_ARCH with a second numbering would slip past an x86_64 list;
 *  3. finds the syscall number by binary search over ranges of numbers that
 *     share a decision (about nine comparisons for ~450 numbers, instead of a
 *     chain of hundreds);
 *  4. for a syscall with argument rules, checks them: the rules of one action
 *     are OR'd, the comparisons of one rule AND'd, each 64-bit comparison done
 *     on both 32-bit halves; when rules of different actions match, the most
 *     restrictive action wins (the kernel's own order between filters), so the
 *     outcome never depends on the order of the rules in the file.
 *  Numbers above the highest syscall the tables know are answered with ENOSYS
 *  (unless the default action allows or logs): a syscall newer than burrow's
 *  headers is refused, and libc falls back to the older call as it does on an
 *  older kernel (runc does the same).
 */
import { release } from 'node:os';
import { BurrowError } from '../errors.js';
import { FILTER_ARCHES, GO_ARCH_NAME, HOST_FILTER_ARCHES, X32_SYSCALL_BIT, parseKernelVersion, type FilterArchInfo, type SeccompFilterArch, type SeccompHostArch } from './arch.js';
import { BPF, BPF_MAX_INSTRUCTIONS, BackwardAssembler, SECCOMP_DATA, SECCOMP_RET, type Target } from './bpf.js';
import type { SeccompAction, SeccompArchName, SeccompOperator, SeccompProfile, SeccompRuleFilter, SeccompSyscallRule, SeccompValue } from './types.js';

export interface CompileSeccompOptions {
  /** The host the filter will run on. */
  arch: SeccompHostArch;
  /** The container's capabilities (CAP_SYS_ADMIN or SYS_ADMIN): rules with `includes.caps`/`excludes.caps` depend on them. */
  capabilities: readonly string[];
  /** `uname -r` of the kernel the filter will run on, for `minKernel`; this machine's by default. */
  kernelRelease?: string;
}

const EPERM = 1;
const ENOSYS = 38;
const UINT64_MAX = (1n << 64n) - 1n;
const UINT32_MAX = 0xffffffff;

/** The value a rule returns, from its action and errnoRet. */
function actionValue(action: SeccompAction, errno: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return SECCOMP_RET.ALLOW;
    case 'SCMP_ACT_ERRNO':
      return (SECCOMP_RET.ERRNO | ((errno ?? EPERM) & SECCOMP_RET.DATA)) >>> 0;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return SECCOMP_RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return SECCOMP_RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return SECCOMP_RET.TRAP;
    case 'SCMP_ACT_TRACE':
      return (SECCOMP_RET.TRACE | ((errno ?? EPERM) & SECCOMP_RET.DATA)) >>> 0;
    case 'SCMP_ACT_LOG':
      return SECCOMP_RET.LOG;
  }
}

/** Which of two return values wins (the kernel's order between filters: KILL_PROCESS first, ALLOW last). */
function precedence(value: number): number {
  return (value & SECCOMP_RET.ACTION_FULL) | 0;
}

/** One comparison of an argument, both operands unsigned 64-bit. */
interface Comparison {
  index: number;
  op: SeccompOperator;
  value: bigint;
  valueTwo: bigint;
}

/** A rule reduced for one ABI: its return value and the comparisons that must all hold. */
interface ArchRule {
  ret: number;
  comparisons: Comparison[];
}

/** What a syscall number does: return this value at once, or check arguments. */
type Decision = number | { groups: Array<{ ret: number; rules: Comparison[][] }>; fallback: number };

function toBigInt(value: SeccompValue | undefined): bigint {
  return value === undefined ? 0n : BigInt(value);
}

function normalizeCapability(name: string): string {
  const upper = name.toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

class RuleContext {
  private readonly capabilities: Set<string>;
  private readonly kernel: [number, number] | undefined;

  constructor(private readonly goArch: string, capabilities: readonly string[], kernelRelease: string) {
    this.capabilities = new Set(capabilities.map(normalizeCapability));
    this.kernel = parseKernelVersion(kernelRelease);
  }

  private kernelAtLeast(minKernel: string): boolean {
    const wanted = parseKernelVersion(minKernel);
    if (wanted === undefined || this.kernel === undefined) return false;
    return this.kernel[0] > wanted[0] || (this.kernel[0] === wanted[0] && this.kernel[1] >= wanted[1]);
  }

  /** Docker's rule selection: every `includes` condition holds, no `excludes` condition does. */
  applies(rule: SeccompSyscallRule): boolean {
    const includes: SeccompRuleFilter = rule.includes ?? {};
    const excludes: SeccompRuleFilter = rule.excludes ?? {};
    if (includes.caps?.some((cap) => !this.capabilities.has(normalizeCapability(cap)))) return false;
    if (includes.arches != null && includes.arches.length > 0 && !includes.arches.includes(this.goArch)) return false;
    if (includes.minKernel !== undefined && !this.kernelAtLeast(includes.minKernel)) return false;
    if (excludes.caps?.some((cap) => this.capabilities.has(normalizeCapability(cap)))) return false;
    if (excludes.arches?.includes(this.goArch)) return false;
    if (excludes.minKernel !== undefined && this.kernelAtLeast(excludes.minKernel)) return false;
    return true;
  }
}

/**
 * What a comparison can be known to give without looking at the argument: on a
 * 32-bit ABI the argument is below 2^32; `>= 0` always holds; a mask that
 * cannot produce the wanted bits never matches.
 */
function foldComparison(comparison: Comparison, is32Bit: boolean): boolean | Comparison {
  const { op, value, valueTwo } = comparison;
  const argMax = is32Bit ? BigInt(UINT32_MAX) : UINT64_MAX;
  switch (op) {
    case 'SCMP_CMP_EQ':
      return value > argMax ? false : comparison;
    case 'SCMP_CMP_NE':
      return value > argMax ? true : comparison;
    case 'SCMP_CMP_GT':
      return value >= argMax ? false : comparison;
    case 'SCMP_CMP_GE':
      return value === 0n ? true : value > argMax ? false : comparison;
    case 'SCMP_CMP_LT':
      return value === 0n ? false : value > argMax ? true : comparison;
    case 'SCMP_CMP_LE':
      return value >= argMax ? true : comparison;
    case 'SCMP_CMP_MASKED_EQ': {
      const mask = value & argMax;
      if ((valueTwo & ~mask) !== 0n) return false;
      return mask === 0n ? true : { ...comparison, value: mask };
    }
  }
}

/** The rules of a profile that apply, indexed by syscall number of one ABI. */
function rulesByNumber(profile: SeccompProfile, arch: FilterArchInfo, context: RuleContext): Array<ArchRule[] | undefined> {
  const byNumber: Array<ArchRule[] | undefined> = new Array<ArchRule[] | undefined>(arch.highestNumber + 1).fill(undefined);
  const add = (name: string, rule: ArchRule) => {
    // Names the ABI does not have (other architectures' calls, syscalls newer than the tables) are skipped, as Docker does.
    const number = arch.table[name];
    if (number === undefined) return;
    const list = byNumber[number];
    if (list === undefined) byNumber[number] = [rule];
    else list.push(rule);
  };
  (profile.syscalls ?? []).forEach((rule) => {
    if (!context.applies(rule)) return;
    const comparisons: Comparison[] = [];
    for (const arg of rule.args ?? []) {
      const comparison: Comparison = { index: arg.index, op: arg.op, value: toBigInt(arg.value), valueTwo: toBigInt(arg.valueTwo) };
      const folded = foldComparison(comparison, arch.is32Bit);
      if (folded === false) return; // never matches on this ABI
      if (folded !== true) comparisons.push(folded);
    }
    const archRule: ArchRule = { ret: actionValue(rule.action, rule.errnoRet), comparisons };
    for (const name of rule.names ?? []) add(name, archRule);
    if (rule.name !== undefined) add(rule.name, archRule);
  });
  return byNumber;
}

/** One syscall's rules as a decision: rules grouped by action, most restrictive first. */
function decide(rules: ArchRule[], defaultRet: number): Decision {
  // Most syscalls: one rule, no arguments.
  if (rules.length === 1 && rules[0]!.comparisons.length === 0) return rules[0]!.ret;
  const groups: Array<{ ret: number; rules: Comparison[][] }> = [];
  for (const rule of rules) {
    let group = groups.find((candidate) => candidate.ret === rule.ret);
    if (group === undefined) groups.push((group = { ret: rule.ret, rules: [] }));
    group.rules.push(rule.comparisons);
  }
  // A stable sort: between two ERRNO actions with different errnos, the first in the profile wins.
  groups.sort((a, b) => precedence(a.ret) - precedence(b.ret));
  // A rule without comparisons always matches: nothing after its group can be reached.
  const unconditional = groups.findIndex((group) => group.rules.some((comparisons) => comparisons.length === 0));
  if (unconditional !== -1) {
    groups.length = unconditional + 1;
    groups[unconditional]!.rules = [[]];
  }
  let fallback = defaultRet;
  if (unconditional !== -1) fallback = groups.pop()!.ret;
  // A last group that gives what falling through gives changes nothing.
  while (groups.length > 0 && groups[groups.length - 1]!.ret === fallback) groups.pop();
  return groups.length === 0 ? fallback : { groups, fallback };
}

/**
 * Emits `comparison` (A is free to clobber): continues at `pass` when it holds,
 * at `fail` otherwise. Returns where the check starts.
 */
function emitComparison(asm: BackwardAssembler, comparison: Comparison, is32Bit: boolean, pass: Target, fail: Target): Target {
  const { index, op } = comparison;
  const low = (value: bigint) => Number(value & BigInt(UINT32_MAX));
  const high = (value: bigint) => Number(value >> 32n);
  switch (op) {
    case 'SCMP_CMP_NE':
      return emitComparison(asm, { ...comparison, op: 'SCMP_CMP_EQ' }, is32Bit, fail, pass);
    case 'SCMP_CMP_LT':
      return emitComparison(asm, { ...comparison, op: 'SCMP_CMP_GE' }, is32Bit, fail, pass);
    case 'SCMP_CMP_LE':
      return emitComparison(asm, { ...comparison, op: 'SCMP_CMP_GT' }, is32Bit, fail, pass);
    case 'SCMP_CMP_EQ': {
      // high == vh && low == vl
      asm.jump(BPF.JMP_JEQ_K, low(comparison.value), pass, fail);
      let start: Target = asm.load(SECCOMP_DATA.argLow(index));
      if (!is32Bit) {
        asm.jump(BPF.JMP_JEQ_K, high(comparison.value), start, fail);
        start = asm.load(SECCOMP_DATA.argHigh(index));
      }
      return start;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE': {
      // high > vh, or high == vh && low >(=) vl
      asm.jump(op === 'SCMP_CMP_GT' ? BPF.JMP_JGT_K : BPF.JMP_JGE_K, low(comparison.value), pass, fail);
      let start: Target = asm.load(SECCOMP_DATA.argLow(index));
      if (!is32Bit) {
        const highEqual = asm.jump(BPF.JMP_JEQ_K, high(comparison.value), start, fail);
        asm.jump(BPF.JMP_JGT_K, high(comparison.value), pass, highEqual);
        start = asm.load(SECCOMP_DATA.argHigh(index));
      }
      return start;
    }
    case 'SCMP_CMP_MASKED_EQ': {
      // (high & mh) == dh && (low & ml) == dl; foldComparison has removed impossible and empty masks.
      const [mask, wanted] = [comparison.value, comparison.valueTwo];
      let start: Target = pass;
      if (low(mask) !== 0) {
        asm.jump(BPF.JMP_JEQ_K, low(wanted), pass, fail);
        if (low(mask) !== UINT32_MAX) asm.and(low(mask));
        start = asm.load(SECCOMP_DATA.argLow(index));
      }
      if (!is32Bit && high(mask) !== 0) {
        asm.jump(BPF.JMP_JEQ_K, high(wanted), start, fail);
        if (high(mask) !== UINT32_MAX) asm.and(high(mask));
        start = asm.load(SECCOMP_DATA.argHigh(index));
      }
      return start;
    }
  }
}

/** Emits a syscall's argument checks; returns where they start. */
function emitDecision(asm: BackwardAssembler, decision: Decision, is32Bit: boolean): Target {
  if (typeof decision === 'number') return { ret: decision };
  let next: Target = { ret: decision.fallback };
  for (const group of [...decision.groups].reverse()) {
    const matched: Target = { ret: group.ret };
    for (const comparisons of [...group.rules].reverse()) {
      const ruleFails = next;
      let start: Target = matched;
      for (const comparison of [...comparisons].reverse()) start = emitComparison(asm, comparison, is32Bit, start, ruleFails);
      next = start;
    }
  }
  return next;
}

/** A run of consecutive syscall numbers with one decision. */
interface NumberRange {
  first: number;
  decision: Decision;
}

/** Emits a binary search over `ranges` (A holds the syscall number); returns where it starts. */
function emitSearch(asm: BackwardAssembler, ranges: NumberRange[], from: number, to: number, is32Bit: boolean): Target {
  if (from === to) return emitDecision(asm, ranges[from]!.decision, is32Bit);
  const middle = Math.ceil((from + to) / 2);
  // Placed in the order they run: the node, the lower half, the upper half.
  const upper = emitSearch(asm, ranges, middle, to, is32Bit);
  const lower = emitSearch(asm, ranges, from, middle - 1, is32Bit);
  return asm.jump(BPF.JMP_JGE_K, ranges[middle]!.first, upper, lower);
}

/** The section of one ABI: x32 guard, then the search. Returns where it starts. */
function emitArchSection(asm: BackwardAssembler, arch: FilterArchInfo, profile: SeccompProfile, context: RuleContext, defaultRet: number): Target {
  const byNumber = rulesByNumber(profile, arch, context);
  // Numbers past the tables: ENOSYS, so libc falls back; unless the profile's default lets calls through.
  const defaultAllows = defaultRet === SECCOMP_RET.ALLOW || defaultRet === SECCOMP_RET.LOG;
  const newerThanTables = defaultAllows ? defaultRet : (SECCOMP_RET.ERRNO | ENOSYS) >>> 0;
  const ranges: NumberRange[] = [];
  let previous: Decision | undefined;
  for (let number = 0; number <= arch.highestNumber; number++) {
    const rules = byNumber[number];
    const decision = rules === undefined ? defaultRet : decide(rules, defaultRet);
    // Checks are never shared; equal return values merge into one range.
    if (typeof decision !== 'number' || decision !== previous) ranges.push({ first: number, decision });
    previous = decision;
  }
  if (previous !== newerThanTables) ranges.push({ first: arch.highestNumber + 1, decision: newerThanTables });

  let start = emitSearch(asm, ranges, 0, ranges.length - 1, arch.is32Bit);
  if (arch.name === 'x86_64') {
    // x32: numbers from 0x40000000 up. -1 is not x32: it is what a tracer or a
    // program uses for "no syscall", and the kernel answers it with ENOSYS.
    const x32 = asm.jump(BPF.JMP_JEQ_K, 0xffffffff, { ret: newerThanTables }, { ret: SECCOMP_RET.KILL_PROCESS });
    start = asm.jump(BPF.JMP_JGE_K, X32_SYSCALL_BIT, x32, start);
  }
  if ('ret' in start) return start;
  return asm.load(SECCOMP_DATA.NR);
}

/** The ABIs the profile asks for, as libseccomp would: the host's own always, others when listed. */
function filterArches(profile: SeccompProfile, host: SeccompHostArch): SeccompFilterArch[] {
  const possible = HOST_FILTER_ARCHES[host];
  const native = FILTER_ARCHES[possible[0]!].scmpName;
  const listed = new Set<SeccompArchName>(profile.architectures ?? []);
  for (const entry of profile.archMap ?? []) {
    if (entry.architecture !== native) continue;
    listed.add(entry.architecture);
    for (const sub of entry.subArchitectures ?? []) listed.add(sub);
  }
  return possible.filter((arch, position) => position === 0 || listed.has(FILTER_ARCHES[arch].scmpName));
}

/**
 * The profile compiled for one host and one container: the struct sock_filter
 * array (8 bytes an instruction, host byte order) that burrow-init reads from
 * `-S FD` and loads with prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER).
 */
export function compileSeccomp(profile: SeccompProfile, options: CompileSeccompOptions): Buffer {
  const defaultRet = actionValue(profile.defaultAction, profile.defaultErrnoRet);
  const context = new RuleContext(GO_ARCH_NAME[options.arch], options.capabilities, options.kernelRelease ?? release());
  const asm = new BackwardAssembler();

  // Sections are placed in dispatch order after the dispatcher: built last one first.
  const arches = filterArches(profile, options.arch);
  const sections = new Map<SeccompFilterArch, Target>();
  for (const arch of [...arches].reverse()) sections.set(arch, emitArchSection(asm, FILTER_ARCHES[arch], profile, context, defaultRet));
  // Any other architecture: its numbers mean other syscalls, so nothing here applies.
  let next: Target = { ret: SECCOMP_RET.KILL_PROCESS };
  for (const arch of [...arches].reverse()) next = asm.jump(BPF.JMP_JEQ_K, FILTER_ARCHES[arch].auditArch, sections.get(arch)!, next);
  asm.load(SECCOMP_DATA.ARCH);

  if (asm.length > BPF_MAX_INSTRUCTIONS) {
    throw new BurrowError('INVALID_ARGUMENT', `seccomp profile compiles to ${asm.length} BPF instructions, more than the kernel's ${BPF_MAX_INSTRUCTIONS}: use fewer argument rules`);
  }
  return asm.toBuffer();
}
