import { Command } from 'commander';
import { shortId } from '../util/digest.js';
import { action, type SetExit } from './action.js';
import { collect } from './each.js';
import { table, timeAgo } from './format.js';

export function psCommand(signal: AbortSignal, setExit: SetExit): Command {
  return new Command('ps')
    .description('List containers')
    .option('-a, --all', 'show all containers (default: running ones)')
    .option('-q, --quiet', 'only show ids')
    .option('--no-trunc', 'do not truncate ids')
    .option('-s, --size', 'show each container\'s size: its writable layer, and the whole root file system as "virtual"')
    .option('-f, --filter <key=value>', 'filter: name=, status=, label=, id=, ancestor=, health=', collect, [])
    .option('--format <format>', 'table (default), json (one object a line, the fields a template sees), or a Go template (`table TEMPLATE` for columns): .ID .Image .Command .CreatedAt .RunningFor .Ports .State .Status .Size .Names .Labels .Label .Mounts .Networks .LocalVolumes')
    .action(
      action<{ all?: boolean; quiet?: boolean; trunc: boolean; size?: boolean; filter: string[]; format?: string }>(signal, setExit, async (context, _args, flags) => {
        const { chooseFormat, renderRows } = await import('../format/render.js');
        const choice = chooseFormat(flags.format);
        const { listContainers } = await import('../container/list.js');
        const { publishedPorts } = await import('../container/ops.js');
        const { statusText } = await import('../container/status.js');
        const { healthSuffix } = await import('../container/health.js');
        const { portsColumn } = await import('../network/ports.js');
        const containers = listContainers(context.store(), { all: flags.all === true, filters: flags.filter });
        const id = (full: string): string => (flags.trunc ? shortId(full) : full);
        // Walking writable layers costs: only for -s, or a format that shows sizes (as docker/cli asks for them).
        // `json` is `{{json .}}`, which shows every field, .Size too.
        const wantSize = flags.size === true || choice.kind === 'json' || (flags.format !== undefined && /\.Size\b|json \./.test(flags.format));
        const containerSize = wantSize ? (await import('../store/usage.js')).containerSize : undefined;
        const sizeOf = (summary: (typeof containers)[number]): { rw: number; rootFs: number } | undefined => containerSize?.(context.store(), summary.record);
        if (flags.quiet === true) {
          context.stdout.write(containers.map(({ record }) => `${id(record.id)}\n`).join(''));
          return;
        }
        if (choice.kind === 'template' || choice.kind === 'json') {
          const { psRow, PS_HEADERS } = await import('../format/rows.js');
          const { jsonLines } = await import('../format/render.js');
          const { networkModeName } = await import('../network/mode.js');
          const { inspectAttachments } = await import('../network/records.js');
          const rows = containers.map((summary) => psRow({
            store: context.store(), summary, trunc: flags.trunc,
            status: statusText(summary.state) + healthSuffix(context.store(), summary.record, summary.state),
            ports: portsColumn(publishedPorts(context.store(), summary.record, summary.state)),
            networks: [...new Set([networkModeName(summary.record.plan.network), ...Object.keys(inspectAttachments(summary.record))])],
            size: sizeOf(summary),
          }));
          context.stdout.write(choice.kind === 'json' ? jsonLines(rows) : renderRows(choice, rows, PS_HEADERS));
          return;
        }
        const { sizeText } = await import('../format/rows.js');
        const rows = containers.map((summary) => {
          const { record, state } = summary;
          const cells = [id(record.id), record.image.name, JSON.stringify(record.plan.process.args.join(' ').slice(0, 30)), timeAgo(record.created), statusText(state) + healthSuffix(context.store(), record, state), portsColumn(publishedPorts(context.store(), record, state)), record.name];
          return flags.size === true ? [...cells, sizeText(sizeOf(summary))] : cells;
        });
        const header = ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'PORTS', 'NAMES'];
        context.stdout.write(`${table(flags.size === true ? [...header, 'SIZE'] : header, rows)}\n`);
      }),
    );
}
