import { closeSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ReadStream } from 'node:tty';

/**
 * A pseudo-terminal for `run -t`, through koffi (Node has no openpty). The job
 * gets the slave side as its controlling terminal; burrow copies between the
 * master and its own terminal, which it puts in raw mode and restores.
 */
const TIOCSWINSZ = 0x5414;

const F_SETFD = 2;
const FD_CLOEXEC = 1;

interface PtyApi {
  openpty: (master: number[], slave: number[], name: null, termp: null, winp: null) => number;
  fcntl: (fd: number, command: number, type: 'int', arg: number) => number;
  ioctlWinsize: (fd: number, request: number, size: { ws_row: number; ws_col: number; ws_xpixel: number; ws_ypixel: number }) => number;
}

let api: PtyApi | undefined;

function load(): PtyApi {
  if (api === undefined) {
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const libc = koffi.load('libc.so.6');
    const winsize = koffi.struct('burrow_winsize', { ws_row: 'uint16', ws_col: 'uint16', ws_xpixel: 'uint16', ws_ypixel: 'uint16' });
    api = {
      openpty: libc.func('int openpty(_Out_ int *amaster, _Out_ int *aslave, char *name, void *termp, void *winp)') as PtyApi['openpty'],
      fcntl: libc.func('int fcntl(int fd, int cmd, ...)') as PtyApi['fcntl'],
      ioctlWinsize: libc.func('ioctl', 'int', ['int', 'unsigned long', koffi.pointer(winsize)]) as PtyApi['ioctlWinsize'],
    };
  }
  return api;
}

export interface Pty {
  master: number;
  slave: number;
  /** Starts copying; returns a function that stops it and restores the terminal. */
  attach(input: NodeJS.ReadStream, output: NodeJS.WriteStream, forwardInput: boolean): () => void;
  closeSlave(): void;
}

export function openPty(): Pty {
  const { openpty, ioctlWinsize, fcntl } = load();
  const master = [0];
  const slave = [0];
  if (openpty(master, slave, null, null, null) !== 0) throw new Error('openpty failed');
  const masterFd = master[0]!;
  const slaveFd = slave[0]!;
  // Neither end leaks into other children: the slave reaches the launcher only as its stdio.
  fcntl(masterFd, F_SETFD, 'int', FD_CLOEXEC);
  fcntl(slaveFd, F_SETFD, 'int', FD_CLOEXEC);
  const resize = (output: NodeJS.WriteStream): void => {
    if (output.isTTY !== true) return;
    ioctlWinsize(masterFd, TIOCSWINSZ, { ws_row: output.rows, ws_col: output.columns, ws_xpixel: 0, ws_ypixel: 0 });
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
