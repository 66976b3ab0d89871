/**
 * `BURROW_TRACE=1`: one stderr line per phase of a command, with the milliseconds
 * since the process started (Node's own start included), so a slow start can be
 * taken apart on the machine where it is slow. Off, it costs a branch.
 */
const enabled = process.env.BURROW_TRACE === '1';

export function trace(phase: string): void {
  if (enabled) process.stderr.write(`burrow-trace ${performance.now().toFixed(1).padStart(7)} ms  ${phase}\n`);
}
