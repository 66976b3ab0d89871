import { Command } from 'commander';
import { action } from './action.js';
import { table } from './format.js';

type Exit = (code: number) => void;
const collect = (value: string, previous: string[]): string[] => [...previous, value];

function labelsOf(pairs: string[]): Record<string, string> {
  return Object.fromEntries(pairs.map((label) => [label.split('=')[0]!, label.split('=').slice(1).join('=')]));
}

/** `burrow network …`: user-defined networks (src/network/records.ts, connect.ts). */
export function networkCommand(signal: AbortSignal, setExit: Exit): Command {
  const network = new Command('network').description('Manage user-defined networks (containers on one reach each other by name)');
  network.command('create').description('Create a network').argument('<name>')
    .option('--subnet <cidr>', 'the IPv4 subnet (default: a free 10.89.N.0/24)')
    .option('--internal', 'no outbound access for containers only on this network')
    .option('-d, --driver <driver>', 'only "bridge"', 'bridge')
    .option('-l, --label <key=value>', 'set a label', collect, [])
    .action(action<{ subnet?: string; internal?: boolean; driver: string; label: string[] }>(signal, setExit, async (context, [name], flags) => {
      const { BurrowError } = await import('../errors.js');
      if (flags.driver !== 'bridge') throw new BurrowError('INVALID_ARGUMENT', `network driver "${flags.driver}" is not supported: burrow's networks are "bridge"`);
      const { createNetwork } = await import('../network/records.js');
      context.stdout.write(`${createNetwork(context.store(), name!, { subnet: flags.subnet, internal: flags.internal, labels: labelsOf(flags.label) }).id}\n`);
    }));
  network.command('ls').alias('list').description('List networks').option('-q, --quiet', 'only ids').option('--no-trunc', 'do not truncate ids')
    .option('--format <format>', 'table (default), json (one object a line, the fields a template sees), or a Go template (`table TEMPLATE` for columns): .ID .Name .Driver .Scope .IPv6 .Internal .Labels .Label .CreatedAt')
    .action(action<{ quiet?: boolean; trunc: boolean; format?: string }>(signal, setExit, async (context, _args, flags) => {
      const { chooseFormat, jsonLines, renderRows } = await import('../format/render.js');
      const choice = chooseFormat(flags.format);
      const { listNetworks } = await import('../network/records.js');
      const store = context.store();
      const networks = listNetworks(store);
      if ((choice.kind === 'template' || choice.kind === 'json') && flags.quiet !== true) {
        const { networkRow, NETWORK_HEADERS } = await import('../format/rows.js');
        const rows = networks.map((entry) => networkRow(entry, flags.trunc));
        context.stdout.write(choice.kind === 'json' ? jsonLines(rows) : renderRows(choice, rows, NETWORK_HEADERS));
      } else if (flags.quiet === true) context.stdout.write(networks.map((entry) => `${entry.id.slice(0, 12)}\n`).join(''));
      else context.stdout.write(`${table(['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE'], networks.map((entry) => [entry.id.slice(0, 12), entry.name, 'bridge', 'local']))}\n`);
    }));
  network.command('inspect').description('Show networks as JSON').argument('<network...>')
    .option('-f, --format <format>', 'a Go template for each network (default: all of them as a JSON array)')
    .action(action<{ format?: string }>(signal, setExit, async (context, names, flags) => {
      const { chooseFormat, renderOne } = await import('../format/render.js');
      const choice = chooseFormat(flags.format);
      const { inspectNetwork, requireNetwork } = await import('../network/records.js');
      const store = context.store();
      const found = names.map((name) => inspectNetwork(store, requireNetwork(store, name)));
      if (choice.kind === 'template') context.stdout.write(found.map((entry) => renderOne(choice.template, entry)).join(''));
      else context.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
    }));
  network.command('rm').alias('remove').description('Remove networks (none may have containers)').argument('<network...>')
    .action(action(signal, setExit, async (context, names) => {
      const { removeNetwork } = await import('../network/records.js');
      for (const name of names) {
        removeNetwork(context.store(), name);
        context.stdout.write(`${name}\n`);
      }
    }));
  network.command('prune').description('Remove networks no container uses').option('-f, --force', 'do not ask')
    .action(action(signal, setExit, async (context) => {
      const { pruneNetworks } = await import('../network/records.js');
      const removed = pruneNetworks(context.store());
      context.stdout.write(removed.length > 0 ? `Deleted Networks:\n${removed.join('\n')}\n` : '');
    }));
  network.command('connect').description('Connect a container to a network (a running one at once)').argument('<network>').argument('<container>')
    .option('--alias <name>', 'another name peers find the container by', collect, [])
    .action(action<{ alias: string[] }>(signal, setExit, async (context, [name, container], flags) => {
      const { connectContainer } = await import('../network/connect.js');
      await connectContainer(context.store(), name!, container!, flags.alias);
    }));
  network.command('disconnect').description('Disconnect a container from a network').argument('<network>').argument('<container>')
    .option('-f, --force', 'accepted for Docker compatibility')
    .action(action(signal, setExit, async (context, [name, container]) => {
      const { disconnectContainer } = await import('../network/connect.js');
      await disconnectContainer(context.store(), name!, container!);
    }));
  return network;
}
