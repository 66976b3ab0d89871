/**
 * A classic BPF interpreter for seccomp filters, for tests: checks a program as
 * the kernel does when it is loaded (seccomp_check_filter and bpf_check_classic)
 * and runs it on a seccomp_data (arch, nr, args), as the kernel does for a syscall.
 * Written from the kernel's rules, independently of src/seccomp/, so it can
 * catch the compiler's mistakes.
 */
import { endianness } from 'node:os';

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export interface SeccompData {
  arch: number;
  nr: number;
  instructionPointer?: bigint;
  /** Up to six 64-bit arguments (missing ones are 0). */
  args?: Array<bigint | number>;
}

export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003, AARCH64: 0xc00000b7, ARM: 0x40000028, RISCV64: 0xc00000f3 } as const;

export type SeccompOutcome =
  | { action: 'KILL_PROCESS' }
  | { action: 'KILL_THREAD' }
  | { action: 'TRAP'; data: number }
  | { action: 'ERRNO'; errno: number }
  | { action: 'USER_NOTIF' }
  | { action: 'TRACE'; data: number }
  | { action: 'LOG' }
  | { action: 'ALLOW' };

const LITTLE_ENDIAN = endianness() === 'LE';
const SECCOMP_DATA_SIZE = 64;
const MAX_INSTRUCTIONS = 4096;

// Instruction classes and fields of linux/bpf_common.h.
const CLASS = (code: number) => code & 0x07;
const MODE = (code: number) => code & 0xe0;
const OP = (code: number) => code & 0xf0;
const SRC = (code: number) => code & 0x08;
const [BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC] = [0, 1, 2, 3, 4, 5, 6, 7];
const [BPF_W, BPF_IMM, BPF_ABS, BPF_MEM, BPF_LEN, BPF_K, BPF_X] = [0x00, 0x00, 0x20, 0x60, 0x80, 0x00, 0x08];

export function decodeProgram(bytes: Buffer): Instruction[] {
  if (bytes.length % 8 !== 0) throw new Error(`a filter is a whole number of 8-byte instructions, not ${bytes.length} bytes`);
  const program: Instruction[] = [];
  for (let offset = 0; offset < bytes.length; offset += 8) {
    program.push({
      code: LITTLE_ENDIAN ? bytes.readUInt16LE(offset) : bytes.readUInt16BE(offset),
      jt: bytes.readUInt8(offset + 2),
      jf: bytes.readUInt8(offset + 3),
      k: LITTLE_ENDIAN ? bytes.readUInt32LE(offset + 4) : bytes.readUInt32BE(offset + 4),
    });
  }
  return program;
}

/** The checks the kernel makes before it accepts a seccomp filter; throws what it would refuse. */
export function checkProgram(program: Instruction[]): void {
  if (program.length === 0 || program.length > MAX_INSTRUCTIONS) throw new Error(`filter length ${program.length} is not 1 to ${MAX_INSTRUCTIONS}`);
  program.forEach((instruction, pc) => {
    const { code, jt, jf, k } = instruction;
    const where = `instruction ${pc} (code 0x${code.toString(16)})`;
    switch (CLASS(code)) {
      case BPF_LD:
        if (code === (BPF_LD | BPF_W | BPF_ABS)) {
          if (k >= SECCOMP_DATA_SIZE || k % 4 !== 0) throw new Error(`${where}: load at offset ${k} outside seccomp_data or unaligned`);
        } else if (code !== (BPF_LD | BPF_W | BPF_LEN) && code !== (BPF_LD | BPF_IMM) && code !== (BPF_LD | BPF_MEM)) {
          throw new Error(`${where}: load mode seccomp does not allow`);
        }
        break;
      case BPF_LDX:
        if (code !== (BPF_LDX | BPF_W | BPF_LEN) && code !== (BPF_LDX | BPF_IMM) && code !== (BPF_LDX | BPF_MEM)) throw new Error(`${where}: load mode seccomp does not allow`);
        if (MODE(code) === BPF_MEM && k >= 16) throw new Error(`${where}: scratch slot ${k} out of range`);
        break;
      case BPF_ST:
      case BPF_STX:
        if (k >= 16) throw new Error(`${where}: scratch slot ${k} out of range`);
        break;
      case BPF_ALU:
        if (![0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0].includes(OP(code))) throw new Error(`${where}: unknown ALU operation`);
        if ((OP(code) === 0x30 || OP(code) === 0x90) && SRC(code) === BPF_K && k === 0) throw new Error(`${where}: division by zero`);
        break;
      case BPF_JMP: {
        const op = OP(code);
        if (op === 0x00) {
          if (pc + 1 + k >= program.length) throw new Error(`${where}: JA out of the program`);
        } else if ([0x10, 0x20, 0x30, 0x40].includes(op)) {
          if (pc + 1 + jt >= program.length || pc + 1 + jf >= program.length) throw new Error(`${where}: jump out of the program`);
        } else {
          throw new Error(`${where}: unknown jump`);
        }
        break;
      }
      case BPF_RET:
        if (code !== (BPF_RET | BPF_K) && code !== (BPF_RET | 0x10)) throw new Error(`${where}: unknown return`);
        break;
      case BPF_MISC:
        if (code !== (BPF_MISC | 0x00) && code !== (BPF_MISC | 0x80)) throw new Error(`${where}: unknown misc operation`);
        break;
    }
  });
  if (CLASS(program[program.length - 1]!.code) !== BPF_RET) throw new Error('the last instruction is not a return');
}

/** The 64-byte struct seccomp_data the kernel gives a filter. */
export function seccompDataBytes(data: SeccompData): Buffer {
  const bytes = Buffer.alloc(SECCOMP_DATA_SIZE);
  const write32 = (value: number, offset: number) => (LITTLE_ENDIAN ? bytes.writeUInt32LE(value >>> 0, offset) : bytes.writeUInt32BE(value >>> 0, offset));
  const write64 = (value: bigint, offset: number) => (LITTLE_ENDIAN ? bytes.writeBigUInt64LE(value, offset) : bytes.writeBigUInt64BE(value, offset));
  write32(data.nr, 0);
  write32(data.arch, 4);
  write64(data.instructionPointer ?? 0n, 8);
  for (let index = 0; index < 6; index++) write64(BigInt.asUintN(64, BigInt(data.args?.[index] ?? 0)), 16 + 8 * index);
  return bytes;
}

/** Runs the filter; returns its 32-bit result and how many instructions ran. */
export function runProgram(program: Instruction[], data: SeccompData): { value: number; steps: number } {
  const input = seccompDataBytes(data);
  const load = (offset: number) => (LITTLE_ENDIAN ? input.readUInt32LE(offset) : input.readUInt32BE(offset));
  const scratch = new Array<number>(16).fill(0);
  let a = 0;
  let x = 0;
  let pc = 0;
  let steps = 0;
  for (;;) {
    const instruction = program[pc];
    if (instruction === undefined) throw new Error(`ran off the program at ${pc}`);
    steps++;
    const { code, jt, jf, k } = instruction;
    const operand = SRC(code) === BPF_X ? x : k;
    pc++;
    switch (CLASS(code)) {
      case BPF_LD:
        a = MODE(code) === BPF_ABS ? load(k) : MODE(code) === BPF_LEN ? SECCOMP_DATA_SIZE : MODE(code) === BPF_MEM ? scratch[k]! : k;
        break;
      case BPF_LDX:
        x = MODE(code) === BPF_LEN ? SECCOMP_DATA_SIZE : MODE(code) === BPF_MEM ? scratch[k]! : k;
        break;
      case BPF_ST:
        scratch[k] = a;
        break;
      case BPF_STX:
        scratch[k] = x;
        break;
      case BPF_ALU:
        a = alu(OP(code), a, operand) >>> 0;
        break;
      case BPF_JMP: {
        const op = OP(code);
        if (op === 0x00) {
          pc += k;
          break;
        }
        const taken = op === 0x10 ? a === operand >>> 0 : op === 0x20 ? a > operand >>> 0 : op === 0x30 ? a >= operand >>> 0 : (a & operand) !== 0;
        pc += taken ? jt : jf;
        break;
      }
      case BPF_RET:
        return { value: (OP(code) === 0x10 ? a : k) >>> 0, steps };
      case BPF_MISC:
        if ((code & 0xf8) === 0x00) x = a;
        else a = x;
        break;
    }
  }
}

function alu(op: number, a: number, operand: number): number {
  switch (op) {
    case 0x00: return a + operand;
    case 0x10: return a - operand;
    case 0x20: return Math.imul(a, operand);
    case 0x30: return Math.floor(a / (operand >>> 0));
    case 0x40: return a | operand;
    case 0x50: return a & operand;
    case 0x60: return operand >= 32 ? 0 : a << operand;
    case 0x70: return operand >= 32 ? 0 : a >>> operand;
    case 0x80: return -a;
    case 0x90: return a % (operand >>> 0);
    case 0xa0: return a ^ operand;
    default: throw new Error(`unknown ALU operation 0x${op.toString(16)}`);
  }
}

/** A filter's result as the kernel acts on it (linux/seccomp.h). */
export function outcome(value: number): SeccompOutcome {
  const action = (value & 0xffff0000) >>> 0;
  const data = value & 0xffff;
  switch (action) {
    case 0x80000000: return { action: 'KILL_PROCESS' };
    case 0x00000000: return { action: 'KILL_THREAD' };
    case 0x00030000: return { action: 'TRAP', data };
    // The kernel caps an errno at MAX_ERRNO (4095).
    case 0x00050000: return { action: 'ERRNO', errno: Math.min(data, 4095) };
    case 0x7fc00000: return { action: 'USER_NOTIF' };
    case 0x7ff00000: return { action: 'TRACE', data };
    case 0x7ffc0000: return { action: 'LOG' };
    case 0x7fff0000: return { action: 'ALLOW' };
    // An unknown action is treated as KILL_PROCESS by the kernel.
    default: return { action: 'KILL_PROCESS' };
  }
}

/** A compiled filter, checked as the kernel would at load, ready to be asked about syscalls. */
export class SeccompFilter {
  readonly program: Instruction[];

  constructor(bytes: Buffer) {
    this.program = decodeProgram(bytes);
    checkProgram(this.program);
  }

  run(data: SeccompData): SeccompOutcome {
    return outcome(runProgram(this.program, data).value);
  }

  steps(data: SeccompData): number {
    return runProgram(this.program, data).steps;
  }
}
