/**
 * Classic BPF for seccomp: the few instructions a filter needs, and an assembler
 * that makes every jump valid whatever the program's size.
 *
 * A conditional jump's offsets are 8 bits (at most 255 instructions ahead). The
 * assembler builds the program back to front, so every jump target is already
 * placed when the jump is written and its distance is known: a target too far
 * away is reached through a JA (32-bit offset) placed right after the jump, or,
 * for a return, through a copy of the return instruction placed there.
 */
import { endianness } from 'node:os';

/** linux/filter.h opcodes. */
export const BPF = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JMP_JA: 0x05,
  JMP_JEQ_K: 0x15,
  JMP_JGT_K: 0x25,
  JMP_JGE_K: 0x35,
  JMP_JSET_K: 0x45,
  RET_K: 0x06,
} as const;

export type ConditionalJump = typeof BPF.JMP_JEQ_K | typeof BPF.JMP_JGT_K | typeof BPF.JMP_JGE_K | typeof BPF.JMP_JSET_K;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const BPF_MAX_INSTRUCTIONS = 4096;

/** linux/seccomp.h return values. */
export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
  ACTION_FULL: 0xffff0000,
  DATA: 0x0000ffff,
} as const;

/** Offsets in struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]. */
const LITTLE_ENDIAN = endianness() === 'LE';
export const SECCOMP_DATA = {
  NR: 0,
  ARCH: 4,
  /** The low and high 32 bits of args[index], in host byte order. */
  argLow: (index: number): number => 16 + 8 * index + (LITTLE_ENDIAN ? 0 : 4),
  argHigh: (index: number): number => 16 + 8 * index + (LITTLE_ENDIAN ? 4 : 0),
} as const;

export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Where a jump goes: an instruction already placed, or "return this value" (placed where convenient). */
export type Target = { at: number } | { ret: number };

/** The farthest a conditional jump reaches. */
const MAX_SHORT_JUMP = 255;

/**
 * Builds a program from its last instruction to its first. Positions are
 * counted from the end (0 = the last instruction), so they never change as
 * instructions are added in front.
 */
export class BackwardAssembler {
  private readonly reversed: Instruction[] = [];
  /** The nearest placed `ret value` (by position from the end), for sharing. */
  private readonly nearestReturn = new Map<number, number>();

  get length(): number {
    return this.reversed.length;
  }

  /** Places an instruction in front of everything placed so far; returns its position. */
  private place(instruction: Instruction): { at: number } {
    this.reversed.push(instruction);
    return { at: this.reversed.length - 1 };
  }

  ret(value: number): { at: number } {
    const placed = this.place({ code: BPF.RET_K, jt: 0, jf: 0, k: value >>> 0 });
    this.nearestReturn.set(value >>> 0, placed.at);
    return placed;
  }

  load(offset: number): { at: number } {
    return this.place({ code: BPF.LD_W_ABS, jt: 0, jf: 0, k: offset });
  }

  and(mask: number): { at: number } {
    return this.place({ code: BPF.ALU_AND_K, jt: 0, jf: 0, k: mask >>> 0 });
  }

  /** `if (A <op> k) goto ifTrue; else goto ifFalse`. */
  jump(code: ConditionalJump, k: number, ifTrue: Target, ifFalse: Target): { at: number } {
    // Up to two stepping stones may be placed between this jump and its targets,
    // so a target is near only if it stays in reach with both.
    const trueAt = this.reachable(ifTrue, 2);
    const falseAt = this.reachable(ifFalse, 2);
    const at = this.reversed.length;
    return this.place({ code, jt: at - trueAt - 1, jf: at - falseAt - 1, k: k >>> 0 });
  }

  /** The position of the instruction to run for `target`, placing a stepping stone if it is out of reach. */
  private reachable(target: Target, slack: number): number {
    const farthest = this.reversed.length + slack - 1 - MAX_SHORT_JUMP;
    if ('ret' in target) {
      const value = target.ret >>> 0;
      const near = this.nearestReturn.get(value);
      return near !== undefined && near >= farthest ? near : this.ret(value).at;
    }
    if (target.at >= farthest) return target.at;
    const at = this.reversed.length;
    return this.place({ code: BPF.JMP_JA, jt: 0, jf: 0, k: at - target.at - 1 }).at;
  }

  /** The program in execution order, as the kernel's struct sock_filter array (8 bytes each, host byte order). */
  toBuffer(): Buffer {
    const count = this.reversed.length;
    // Two 32-bit words an instruction, in host byte order: {code, jt, jf} and k.
    const words = new Uint32Array(count * 2);
    for (let index = 0; index < count; index++) {
      const { code, jt, jf, k } = this.reversed[count - 1 - index]!;
      words[index * 2] = LITTLE_ENDIAN ? (code | (jt << 16) | (jf << 24)) >>> 0 : ((code << 16) | (jt << 8) | jf) >>> 0;
      words[index * 2 + 1] = k;
    }
    return Buffer.from(words.buffer, 0, words.byteLength);
  }
}
