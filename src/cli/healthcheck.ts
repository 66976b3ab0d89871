import { Command } from 'commander';
import { action } from './action.js';

type Exit = (code: number) => void;

/**
 * `burrow healthcheck run CONTAINER` (Podman's): one check now. Exit 0 when it
 * passed, 1 when it failed (the container's health is printed then), 125 when
 * it could not run (no such container, no health check, not running). A
 * detached container's monitor starts this command when a check is due.
 */
export function healthcheckCommand(signal: AbortSignal, setExit: Exit): Command {
  const run = new Command('run')
    .description("Run a container's health check now (exit 0: it passed, 1: it failed)")
    .argument('<container>')
    .action(action(signal, setExit, async (context, [name]) => {
      const { runHealthCheck } = await import('../container/health.js');
      const health = await runHealthCheck(context.store(), name!, { signal: context.signal });
      if (health.Log.at(-1)?.ExitCode === 0) return 0;
      context.stdout.write(`${health.Status}\n`);
      return 1;
    }));
  return new Command('healthcheck').description("Run containers' health checks").addCommand(run);
}
