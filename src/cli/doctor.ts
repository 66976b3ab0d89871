import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { action } from './action.js';

type Exit = (code: number) => void;

/** `burrow doctor`: a status line per check; exit 1 when something `run` needs is missing. */
export function doctorCommand(signal: AbortSignal, setExit: Exit): Command {
  const command = new Command('doctor');
  return command
    .description('Check what this host gives burrow (user namespaces, id mapping, overlays, bubblewrap, network helpers, cgroups and limits, disk), each failing check with the command that fixes it')
    .option('--format <format>', 'table (default) or json')
    .action(
      action<{ format?: string }>(signal, setExit, async (context, _args, flags) => {
        if (flags.format !== undefined && flags.format !== 'table' && flags.format !== 'json') {
          throw new BurrowError('INVALID_ARGUMENT', `unknown --format "${flags.format}": use table or json`);
        }
        const { runDoctor } = await import('../doctor/index.js');
        const { defaultStoreRoot } = await import('../store/layout.js');
        // The store is only looked at, never made: doctor runs before anything else does.
        const report = await runDoctor({ storeRoot: command.optsWithGlobals<{ root?: string }>().root ?? defaultStoreRoot() });
        if (flags.format === 'json') {
          context.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
        } else {
          const width = Math.max(...report.checks.map((check) => check.name.length));
          for (const check of report.checks) {
            context.stdout.write(`${check.status.padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}\n`);
            if (check.fix !== undefined && check.status !== 'ok') context.stdout.write(`${' '.repeat(width + 8)}fix: ${check.fix}\n`);
          }
          if (report.cgroup.more !== undefined) context.stdout.write(`for more limits: ${report.cgroup.more}\n`);
          const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.name);
          context.stdout.write(failed.length === 0 ? `burrow can run containers here (${report.durationMs} ms)\n` : `burrow cannot run containers here: ${failed.join(', ')} failed (${report.durationMs} ms)\n`);
        }
        return report.ok ? 0 : 1;
      }),
    );
}
