import { closeSync, writeSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { fcntl, openpty, setWindowSize } from '../util/libc.js';

/**
 * A pseudo-terminal for `run -t`, through koffi (util/libc.ts: Node has no openpty). The job
 * gets the slave side as its controlling terminal; burrow copies between the
 * master and its own terminal, which it puts in raw mode and restores.
 */
const F_SETFD = 2;
const FD_CLOEXEC = 1;

export interface Pty {
  master: number;
  slave: number;
  /** Starts copying; returns a function that stops it and restores the terminal. */
  attach(input: NodeJS.ReadStream, output: NodeJS.WriteStream, forwardInput: boolean): () => void;
  closeSlave(): void;
}

export function openPty(): Pty {
  const pair = openpty();
  if (pair === undefined) throw new Error('openpty failed');
  const { master: masterFd, slave: slaveFd } = pair;
  // Neither end leaks into other children: the slave reaches the launcher only as its stdio.
  fcntl(masterFd, F_SETFD, FD_CLOEXEC);
  fcntl(slaveFd, F_SETFD, FD_CLOEXEC);
  const resize = (output: NodeJS.WriteStream): void => {
    if (output.isTTY !== true) return;
    setWindowSize(masterFd, { ws_row: output.rows, ws_col: output.columns, ws_xpixel: 0, ws_ypixel: 0 });
  };
  return {
    master: masterFd,
    slave: slaveFd,
    closeSlave: () => closeSync(slaveFd),
    attach(input, output, forwardInput) {
      resize(output);
      const onResize = (): void => resize(output);
      output.on('resize', onResize);
      // Raw mode even without -i: the job's terminal does the line discipline, not ours.
      const wasRaw = input.isTTY === true ? input.isRaw : false;
      if (input.isTTY === true) input.setRawMode(true);
      const reader = new ReadStream(masterFd);
      reader.on('data', (chunk: Buffer) => output.write(chunk));
      // EIO is how a pty master says the last slave closed: the job is gone.
      reader.on('error', () => reader.destroy());
      const onInput = (chunk: Buffer): void => {
        try { writeSync(masterFd, chunk); } catch { /* job gone */ }
      };
      if (forwardInput) input.on('data', onInput);
      return () => {
        output.off('resize', onResize);
        if (forwardInput) {
          input.off('data', onInput);
          input.pause();
        }
        if (input.isTTY === true) input.setRawMode(wasRaw);
        reader.destroy();
      };
    },
  };
}
