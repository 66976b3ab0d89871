/**
 * Classic BPF programs written out instruction by instruction (struct
 * sock_filter[]: code u16, jt u8, jf u8, k u32, little-endian as on x86_64 and
 * aarch64), for tests that hand burrow-init a filter burrow's assembler would
 * never make: a damaged one, or a tiny one with a single rule. Opcodes and return
 * values are burrow's own (src/seccomp/bpf.ts).
 */
export { BPF, SECCOMP_DATA, SECCOMP_RET } from '../../src/seccomp/bpf.js';

export type BpfInstruction = [code: number, jt: number, jf: number, k: number];

export function encodeBpf(program: readonly BpfInstruction[]): Buffer {
  const out = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], index) => {
    out.writeUInt16LE(code, index * 8);
    out.writeUInt8(jt, index * 8 + 2);
    out.writeUInt8(jf, index * 8 + 3);
    out.writeUInt32LE(k >>> 0, index * 8 + 4);
  });
  return out;
}
