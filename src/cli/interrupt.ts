/** The signal that interrupted this run of the CLI (main.ts notes it), for a command's exit status. */
let interruptedBy: NodeJS.Signals | undefined;

export function noteInterrupt(signal: NodeJS.Signals): void {
  interruptedBy ??= signal;
}

/** 130 after Ctrl-C (SIGINT), 143 after SIGTERM, as a shell reports a job killed by either. */
export function interruptedExitCode(): number {
  return interruptedBy === 'SIGTERM' ? 143 : 130;
}
