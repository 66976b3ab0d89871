import { noteInterrupt } from './interrupt.js';
import { Command, CommanderError, Option } from 'commander';
import { BurrowError, EXIT_BURROW_ERROR, exitStatusFor } from '../errors.js';
import { trace } from '../util/trace.js';
import { VERSION } from '../version.js';
import { explicitBooleans } from './booleans.js';
// Every command's entry; the bundle of `run` alone (scripts/bundle.mjs) has commands-run.ts in its place.
import { COMMANDS } from './commands.js';
import type { SetExit } from './action.js';

/** `--log-level debug` before the command word: errors carry their stack, as with BURROW_DEBUG=1. */
function applyLogLevel(argv: string[]): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return;
    const level = arg === '--log-level' || arg === '-l' ? argv[++i] : arg.startsWith('--log-level=') ? arg.slice('--log-level='.length) : undefined;
    if (level === 'debug') process.env.BURROW_DEBUG = '1';
    if (arg === '--root') i++;
  }
}

/** The command word of argv (after the global `--root DIR`), if any. bin/burrow.js has the same rule, to pick the bundle. */
export function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--root' || arg === '--log-level' || arg === '-l') i++;
    else if (!arg.startsWith('-')) return arg;
    else if (!arg.startsWith('--root=') && !arg.startsWith('--log-level=')) return undefined;
  }
  return undefined;
}

async function buildProgram(argv: string[], signal: AbortSignal, setExit: SetExit): Promise<Command> {
  const program = new Command('burrow')
    .description('Rootless, daemonless containers for CI')
    .version(VERSION, '-v, --version')
    .option('--root <dir>', 'store directory (default: $BURROW_ROOT or $XDG_DATA_HOME/burrow)')
    .addOption(new Option('-l, --log-level <level>', "how much burrow says of itself: debug adds the stack of an error (as BURROW_DEBUG=1); the others are Docker's, accepted").choices(['debug', 'info', 'warn', 'error', 'fatal']))
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride();

  const word = commandWord(argv);
  const own = word === undefined ? undefined : COMMANDS.find((entry) => entry.names.includes(word));
  // Help and a mistyped command (its suggestion) need every command; --version none.
  const versionOnly = argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v');
  const wanted = versionOnly ? [] : own === undefined ? COMMANDS : [own];
  const loaded = await Promise.all(wanted.map((entry) => entry.load(signal, setExit)));
  for (const command of loaded.flat()) {
    if (own === undefined || command.name() === word) program.addCommand(command);
  }
  const nested = program.commands.flatMap((command) => command.commands);
  for (const command of [program, ...program.commands, ...nested]) {
    // One line, as every burrow error: commander puts its suggestion on a second.
    command.exitOverride().configureOutput({ outputError: (text, write) => write(`burrow: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) });
  }
  return program;
}

let helpOnly = false;

/**
 * Whether this invocation showed help and did nothing else: bin/burrow.js then keeps no
 * code cache for the command (help compiles little of it, and a cache that fits is never
 * rewritten).
 */
export function showedHelpOnly(): boolean {
  return helpOnly;
}

/** Runs the CLI; resolves to the exit status. Errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  trace('cli loaded');
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    noteInterrupt(signal);
    // A second Ctrl-C means "now": partial downloads stay for the next pull to resume.
    if (interrupts > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode = 0;
  applyLogLevel(argv);
  try {
    const program = await buildProgram(argv, controller.signal, (code) => {
      exitCode = code;
    });
    if (argv.length === 0) {
      program.outputHelp();
      helpOnly = true;
      return 0;
    }
    trace('commands loaded');
    // `-t=false`, `--rm=true`: Docker's spelling of a boolean flag's value.
    await program.parseAsync(explicitBooleans(program, argv), { from: 'user' });
    trace('done');
    // A command that finished on its own has its own status (run: the job's, even after a forwarded signal).
    return exitCode;
  } catch (error) {
    return report(error, controller.signal.aborted, runnerWord(argv));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The command whose errors decide the exit status: `container start` is start. */
function runnerWord(argv: string[]): string | undefined {
  const word = commandWord(argv);
  if (word !== 'container') return word;
  return commandWord(argv.slice(argv.indexOf('container') + 1));
}

function report(error: unknown, interrupted: boolean, command: string | undefined): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.help') helpOnly = true;
    // Commander has printed its message (or the help) already; a command line that does not parse is 125, as Docker's.
    return error.exitCode === 0 ? 0 : EXIT_BURROW_ERROR;
  }
  if (interrupted) {
    process.stderr.write('burrow: interrupted; the store is unchanged (a later pull resumes the download)\n');
    return 130;
  }
  if (error instanceof BurrowError) {
    // One line, always: a message built from another program's output may hold newlines.
    process.stderr.write(`burrow: ${error.message.replace(/\s*\n\s*/g, '; ')}\n`);
    if (process.env.BURROW_DEBUG === '1' && error.cause !== undefined) process.stderr.write(`${String((error.cause as Error)?.stack ?? error.cause)}\n`);
    return exitStatusFor(error, command);
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`burrow: internal error: ${message} (run with BURROW_DEBUG=1 for details, and please report it)\n`);
  if (process.env.BURROW_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return exitStatusFor(undefined, command);
}
