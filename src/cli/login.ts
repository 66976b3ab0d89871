import { Command } from 'commander';
import { BurrowError } from '../errors.js';
import { login, logout } from '../registry/login.js';
import { action } from './action.js';

type Exit = (code: number) => void;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function loginCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('login')
    .description('Log in to a registry (writes ~/.docker/config.json, as docker login)')
    .argument('[server]', 'registry host', 'docker.io')
    .option('-u, --username <user>', 'user name')
    .option('-p, --password <password>', 'password (prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input')
    .action(
      action<{ username?: string; password?: string; passwordStdin?: boolean }>(signal, setExit, async (context, [server], flags) => {
        if (flags.username === undefined) throw new BurrowError('INVALID_ARGUMENT', 'login needs --username (-u)');
        if (flags.password !== undefined && flags.passwordStdin === true) throw new BurrowError('INVALID_ARGUMENT', '--password and --password-stdin exclude each other');
        const password = flags.passwordStdin === true ? await readStdin() : flags.password;
        if (password === undefined || password === '') throw new BurrowError('INVALID_ARGUMENT', 'login needs a password: --password-stdin (recommended) or --password');
        if (flags.password !== undefined) context.stderr.write('WARNING! Using --password on the command line is insecure. Use --password-stdin.\n');
        const saved = await login(server!, { username: flags.username, password }, context.config(), context.signal);
        context.stdout.write(`Login Succeeded (credentials saved in ${saved})\n`);
      }),
    );
}

export function logoutCommand(signal: AbortSignal, setExit: Exit): Command {
  return new Command('logout')
    .description('Forget the credentials of a registry')
    .argument('[server]', 'registry host', 'docker.io')
    .action(
      action(signal, setExit, async (context, [server]) => {
        const erased = await logout(server!);
        context.stdout.write(erased ? `Removing login credentials for ${server}\n` : `Not logged in to ${server}\n`);
      }),
    );
}
