import { Command } from 'commander';
import { action } from './action.js';

type Exit = (code: number) => void;

/**
 * `burrow job run FILE [--workspace DIR]` (src/job/): the steps' output as it
 * comes (stdout to stdout, stderr to stderr), and a header line on stderr for each
 * phase and step, so a CI log reads as GitHub's groups do. Exit status: the first
 * failed step's; 125 when the job could not run or a service exited during it;
 * 130 after Ctrl-C, 143 after SIGTERM.
 */
export function jobCommand(signal: AbortSignal, setExit: Exit): Command {
  const job = new Command('job').description('Run jobs described in a file (steps in a container, beside service containers)');
  job.command('run').description('Run a job file (YAML or JSON): its services, then its steps; everything is removed afterwards').argument('<file>')
    .option('--workspace <dir>', "host directory mounted at the same path, the steps' working directory (default: the file's workspace, else the current directory)")
    .action(action<{ workspace?: string }>(signal, setExit, async (context, [file], flags) => {
      const { loadJobFile } = await import('../job/load.js');
      const { runJob } = await import('../job/runner.js');
      const { isBurrowError } = await import('../errors.js');
      const definition = loadJobFile(file!);
      const total = definition.steps.length;
      let stepNumber = 0;
      const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
      const say = (line: string): void => { context.stderr.write(`${line}\n`); };
      try {
        const result = await runJob(context.store(), definition, {
          signal: context.signal,
          workspace: flags.workspace,
          onEvent: (event) => {
            switch (event.kind) {
              case 'note':
                say(event.text);
                break;
              case 'output':
                (event.stream === 'stdout' ? context.stdout : context.stderr).write(event.text);
                break;
              case 'phase-start':
                if (event.phase === 'step') say(`--- step ${++stepNumber}/${total}: ${event.name}`);
                else if (event.phase !== 'teardown') say(`--- ${event.phase === 'pull' ? 'pull' : 'service'} ${event.name}`);
                break;
              case 'phase-end':
                if (event.phase === 'step') say(`--- step ${stepNumber}/${total}: ${event.outcome ?? 'failure'}${event.exitCode === 0 ? '' : ` (exit status ${event.exitCode})`}${event.error === undefined ? '' : `: ${event.error}`}, ${seconds(event.durationMs)}`);
                else if (event.phase === 'services' && event.error === undefined) say(`--- service ${event.name}: ready, ${seconds(event.durationMs)}`);
                break;
            }
          },
        });
        for (const step of result.steps) if (step.outcome === 'skipped') say(`--- skipped: ${step.name}`);
        for (const exit of result.serviceExits ?? []) say(`--- service ${exit.service} (${exit.container}) exited during the steps, exit status ${exit.exitCode}`);
        const { binarySize } = await import('../util/size.js');
        const peak = result.peaks?.memoryBytes === undefined ? '' : `, memory peak ${binarySize(result.peaks.memoryBytes)}`;
        say(`--- job ${definition.name}: ${result.exitCode === 0 ? 'succeeded' : `failed (exit status ${result.exitCode})`}, ${seconds(result.durationMs)}${peak}`);
        return result.exitCode;
      } catch (error) {
        if (!isBurrowError(error, 'INTERRUPTED')) throw error;
        say('burrow: job interrupted; its containers and network are removed');
        const { interruptedExitCode } = await import('./interrupt.js');
        return interruptedExitCode();
      }
    }));
  return job;
}
