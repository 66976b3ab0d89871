import { Command } from 'commander';
import type { SetExit } from './action.js';

type CommandLoader = (signal: AbortSignal, setExit: SetExit) => Promise<Command>;

/**
 * The container verbs, one file each (as crun's one small file per verb over
 * libcrun), in help order. Each is loaded only when asked for: `burrow stop`
 * evaluates stop.ts and what it imports, nothing else.
 */
export const CONTAINER_VERBS: ReadonlyArray<{ name: string; load: CommandLoader }> = [
  { name: 'start', load: async (signal, setExit) => (await import('./start.js')).startCommand(signal, setExit) },
  { name: 'stop', load: async (signal, setExit) => (await import('./stop.js')).stopCommand(signal, setExit) },
  { name: 'kill', load: async (signal, setExit) => (await import('./kill.js')).killCommand(signal, setExit) },
  { name: 'rm', load: async (signal, setExit) => (await import('./rm.js')).rmCommand(signal, setExit) },
  { name: 'wait', load: async (signal, setExit) => (await import('./wait.js')).waitCommand(signal, setExit) },
  { name: 'logs', load: async (signal, setExit) => (await import('./logs.js')).logsCommand(signal, setExit) },
  { name: 'exec', load: async (signal, setExit) => (await import('./exec.js')).execCommand(signal, setExit) },
  { name: 'rename', load: async (signal, setExit) => (await import('./rename.js')).renameCommand(signal, setExit) },
  { name: 'inspect', load: async (signal, setExit) => (await import('./inspect.js')).inspectCommand(signal, setExit) },
  { name: 'restart', load: async (signal, setExit) => (await import('./restart.js')).restartCommand(signal, setExit) },
  { name: 'attach', load: async (signal, setExit) => (await import('./attach.js')).attachCommand(signal, setExit) },
  { name: 'top', load: async (signal, setExit) => (await import('./top.js')).topCommand(signal, setExit) },
  { name: 'pause', load: async (signal, setExit) => (await import('./pause.js')).pauseCommand(signal, setExit) },
  { name: 'unpause', load: async (signal, setExit) => (await import('./pause.js')).unpauseCommand(signal, setExit) },
  { name: 'cp', load: async (signal, setExit) => (await import('./cp.js')).cpCommand(signal, setExit) },
  { name: 'port', load: async (signal, setExit) => (await import('./port.js')).portCommand(signal, setExit) },
  { name: 'update', load: async (signal, setExit) => (await import('./update.js')).updateCommand(signal, setExit) },
  { name: 'stats', load: async (signal, setExit) => (await import('./stats.js')).statsCommand(signal, setExit) },
  { name: 'commit', load: async (signal, setExit) => (await import('./commit.js')).commitCommand(signal, setExit) },
];

/** `burrow container …`: ls (ps), every verb above, and prune. */
export async function containerGroup(signal: AbortSignal, setExit: SetExit): Promise<Command> {
  const group = new Command('container').description('Manage containers').enablePositionalOptions();
  const [{ psCommand }, { pruneCommand }, verbs] = await Promise.all([
    import('./ps.js'),
    import('./prune.js'),
    Promise.all(CONTAINER_VERBS.map((verb) => verb.load(signal, setExit))),
  ]);
  group.addCommand(psCommand(signal, setExit).name('ls'));
  for (const command of verbs) group.addCommand(command);
  group.addCommand(pruneCommand(signal, setExit));
  return group;
}
