/**
 * The pieces of a tar stream that burrow writes itself (a container's layer in
 * `commit-worker.ts`, a build's COPY/ADD layer in `build/layer.ts`): node-tar's
 * Header encodes each header block; these add PAX records and the padding.
 */

/** A tar block. */
export const BLOCK = 512;

/** One PAX record, "LEN key=value\n", LEN counting itself. */
export function paxRecord(key: string, value: string | Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), typeof value === 'string' ? Buffer.from(value) : value, Buffer.from('\n')]);
  let length = body.length + 1;
  while (String(length).length + body.length !== length) length = String(length).length + body.length;
  return Buffer.concat([Buffer.from(String(length)), body]);
}

/** The zeros that fill the last block of `size` bytes of content. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return Buffer.alloc(rest === 0 ? 0 : BLOCK - rest);
}
