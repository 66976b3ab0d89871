import { noteInterrupt } from './interrupt.js';
import { Command, CommanderError, Option } from 'commander';
import { BurrowError, EXIT_BURROW_ERROR, exitStatusFor } from '../errors.js';
import { trace } from '../util/trace.js';
import { CONTAINER_VERBS } from './container.js';
import { VERSION } from '../version.js';
import { explicitBooleans } from './booleans.js';


type Exit = (code: number) => void;
type CommandModule = (signal: AbortSignal, setExit: Exit) => Promise<Command[]>;

/**
 * The top-level commands in help order, each with the module that defines it.
 * One invocation loads only its own command's module: loading them all (and the
 * library modules they import) costs more than a container's namespaces and mounts.
 */
const COMMANDS: Array<{ names: string[]; load: CommandModule }> = [
  { names: ['run'], load: async (signal, setExit) => [(await import('./run.js')).runCommand(signal, setExit)] },
  { names: ['create'], load: async (signal, setExit) => [(await import('./create.js')).createCommand(signal, setExit)] },
  { names: ['ps'], load: async (signal, setExit) => [(await import('./ps.js')).psCommand(signal, setExit)] },
  ...CONTAINER_VERBS.map((verb) => ({ names: [verb.name], load: async (signal: AbortSignal, setExit: Exit) => [await verb.load(signal, setExit)] })),
  { names: ['container'], load: async (signal, setExit) => [await (await import('./container.js')).containerGroup(signal, setExit)] },
  { names: ['volume'], load: async (signal, setExit) => [(await import('./volume.js')).volumeCommand(signal, setExit)] },
  { names: ['network'], load: async (signal, setExit) => [(await import('./network.js')).networkCommand(signal, setExit)] },
  { names: ['pull'], load: async (signal, setExit) => [(await import('./pull.js')).pullCommand(signal, setExit)] },
  { names: ['build'], load: async (signal, setExit) => [(await import('./build.js')).buildCommand(signal, setExit)] },
  { names: ['images'], load: async (signal, setExit) => [(await import('./images.js')).imagesCommand(signal, setExit)] },
  { names: ['rmi'], load: async (signal, setExit) => [(await import('./images.js')).rmiCommand(signal, setExit)] },
  { names: ['tag'], load: async (signal, setExit) => [(await import('./images.js')).tagCommand(signal, setExit)] },
  { names: ['load'], load: async (signal, setExit) => [(await import('./archive.js')).loadCommand(signal, setExit)] },
  { names: ['save'], load: async (signal, setExit) => [(await import('./archive.js')).saveCommand(signal, setExit)] },
  { names: ['login'], load: async (signal, setExit) => [(await import('./login.js')).loginCommand(signal, setExit)] },
  { names: ['logout'], load: async (signal, setExit) => [(await import('./login.js')).logoutCommand(signal, setExit)] },
  { names: ['system'], load: async (signal, setExit) => [(await import('./system.js')).systemCommand(signal, setExit)] },
  { names: ['info'], load: async (signal, setExit) => [(await import('./info.js')).infoCommand(signal, setExit)] },
  { names: ['version'], load: async (signal, setExit) => [(await import('./info.js')).versionCommand(signal, setExit)] },
  { names: ['setup'], load: async (signal, setExit) => [(await import('./setup.js')).setupCommand(signal, setExit)] },
  { names: ['unshare'], load: async (signal, setExit) => [(await import('./unshare.js')).unshareCommand(signal, setExit)] },

  { names: ['healthcheck'], load: async (signal, setExit) => [(await import('./healthcheck.js')).healthcheckCommand(signal, setExit)] },
  { names: ['doctor'], load: async (signal, setExit) => [(await import('./doctor.js')).doctorCommand(signal, setExit)] },
  { names: ['job'], load: async (signal, setExit) => [(await import('./job.js')).jobCommand(signal, setExit)] },
  { names: ['image'], load: imageGroup },
];

async function imageGroup(signal: AbortSignal, setExit: Exit): Promise<Command[]> {
  const [pull, images, archive, prune, build] = await Promise.all([import('./pull.js'), import('./images.js'), import('./archive.js'), import('./prune.js'), import('./build.js')]);
  const image = new Command('image').description('Manage images');
  image.addCommand(build.buildCommand(signal, setExit));
  image.addCommand(pull.pullCommand(signal, setExit));
  image.addCommand(images.imagesCommand(signal, setExit).name('ls'));
  image.addCommand(images.rmiCommand(signal, setExit).name('rm'));
  image.addCommand(images.inspectCommand(signal, setExit));
  image.addCommand(images.tagCommand(signal, setExit));
  image.addCommand(archive.loadCommand(signal, setExit));
  image.addCommand(archive.saveCommand(signal, setExit));
  image.addCommand(prune.imagePruneCommand(signal, setExit));
  return [image];
}

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

/** The command word of argv (after the global `--root DIR`), if any. */
function commandWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--root' || arg === '--log-level' || arg === '-l') i++;
    else if (!arg.startsWith('-')) return arg;
    else if (!arg.startsWith('--root=') && !arg.startsWith('--log-level=')) return undefined;
  }
  return undefined;
}

async function buildProgram(argv: string[], signal: AbortSignal, setExit: Exit): Promise<Command> {
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
