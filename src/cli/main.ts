import { Command, CommanderError } from 'commander';
import { BurrowError, EXIT_BURROW_ERROR } from '../errors.js';
import { loadCommand, saveCommand } from './archive.js';
import { imagesCommand, inspectCommand, rmiCommand } from './images.js';
import { loginCommand, logoutCommand } from './login.js';
import { pullCommand } from './pull.js';
import { createCommand, runCommand } from './run.js';
import { containerCommands, containerGroup, psCommand } from './container.js';
import { volumeCommand } from './volume.js';
import { systemCommand } from './system.js';

const VERSION = '0.1.0';

function buildProgram(signal: AbortSignal, setExit: (code: number) => void): Command {
  const program = new Command('burrow')
    .description('Rootless, daemonless containers for CI')
    .version(VERSION, '-v, --version')
    .option('--root <dir>', 'store directory (default: $BURROW_ROOT or $XDG_DATA_HOME/burrow)')
    .enablePositionalOptions()
    .showSuggestionAfterError()
    .exitOverride();

  const image = new Command('image').description('Manage images');
  image.addCommand(pullCommand(signal, setExit));
  image.addCommand(imagesCommand(signal, setExit).name('ls'));
  image.addCommand(rmiCommand(signal, setExit).name('rm'));
  image.addCommand(inspectCommand(signal, setExit));
  image.addCommand(loadCommand(signal, setExit));
  image.addCommand(saveCommand(signal, setExit));

  for (const command of [
    runCommand(signal, setExit),
    createCommand(signal, setExit),
    psCommand(signal, setExit),
    ...containerCommands(signal, setExit),
    containerGroup(signal, setExit),
    volumeCommand(signal, setExit),
    pullCommand(signal, setExit),
    imagesCommand(signal, setExit),
    rmiCommand(signal, setExit),
    loadCommand(signal, setExit),
    saveCommand(signal, setExit),
    loginCommand(signal, setExit),
    logoutCommand(signal, setExit),
    systemCommand(signal, setExit),
    image,
  ]) {
    program.addCommand(command);
  }
  const nested = program.commands.flatMap((command) => command.commands);
  for (const command of [program, ...program.commands, ...nested]) {
    command.exitOverride().configureOutput({ outputError: (text, write) => write(`burrow: ${text.replace(/^error: /, '')}`) });
  }
  return program;
}

/** Runs the CLI; resolves to the exit status. Errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    // A second Ctrl-C means "now": partial downloads stay for the next pull to resume.
    if (interrupts > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let exitCode = 0;
  try {
    const program = buildProgram(controller.signal, (code) => {
      exitCode = code;
    });
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: 'user' });
    // A command that finished on its own has its own status (run: the job's, even after a forwarded signal).
    return exitCode;
  } catch (error) {
    return report(error, controller.signal.aborted);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function report(error: unknown, interrupted: boolean): number {
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
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
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`burrow: internal error: ${message} (run with BURROW_DEBUG=1 for details, and please report it)\n`);
  if (process.env.BURROW_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return EXIT_BURROW_ERROR;
}
