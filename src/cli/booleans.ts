import type { Command, Option } from 'commander';

/**
 * Docker's CLI (Go's pflag) takes a value on a boolean flag: `-t=false`,
 * `--rm=true`, `--init=false`. Commander does not, so the command's own flags
 * are rewritten before it parses them: `=true` becomes the bare flag, `=false`
 * drops it (every boolean here defaults to off; `--no-healthcheck=false` keeps the
 * image's check, as it should). Only the command's flags are read, up to its
 * first positional argument: the container's command after the image name (`sh
 * -c … -t=false`) is never touched.
 */
export function explicitBooleans(program: Command, argv: readonly string[]): string[] {
  const out = [...argv];
  let command: Command | undefined;
  let index = 0;
  // The command word (and a group's subcommand word: `container run`), after the global options.
  for (; index < out.length; index++) {
    const arg = out[index]!;
    // The global options that take a value (main.ts: --root, --log-level): their value is not the command word.
    if (arg === '--root' || arg === '--log-level' || arg === '-l') index++;
    else if (arg.startsWith('-')) continue;
    else {
      const found: Command | undefined = (command ?? program).commands.find((candidate) => candidate.name() === arg || candidate.aliases().includes(arg));
      if (found === undefined) break;
      command = found;
      if (found.commands.length === 0) {
        index++;
        break;
      }
    }
  }
  if (command === undefined) return out;
  const options = command.options as readonly Option[];
  const find = (flag: string): Option | undefined => options.find((option) => option.long === flag || option.short === flag);
  const takesValue = (option: Option | undefined): boolean => option !== undefined && (option.required || option.optional);
  for (; index < out.length; index++) {
    const arg = out[index]!;
    if (arg === '--' || !arg.startsWith('-') || arg === '-') break;
    const explicit = /^(-[a-zA-Z]|--[a-zA-Z0-9-]+)=(true|false)$/i.exec(arg);
    const option = find(explicit?.[1] ?? arg.split('=')[0]!);
    if (explicit !== null && option !== undefined && !takesValue(option)) {
      if (explicit[2]!.toLowerCase() === 'true') out[index] = explicit[1]!;
      else {
        out.splice(index, 1);
        index--;
      }
      continue;
    }
    if (arg.startsWith('--')) {
      if (!arg.includes('=') && takesValue(option)) index++;
      continue;
    }
    // A cluster of short flags (-it, -dp 80): the first that takes a value takes the rest, or the next argument.
    for (let at = 1; at < arg.length; at++) {
      if (takesValue(find(`-${arg[at]}`))) {
        if (at === arg.length - 1) index++;
        break;
      }
    }
  }
  return out;
}
