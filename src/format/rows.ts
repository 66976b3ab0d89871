/**
 * What a `--format` template sees for one row of a listing, with docker/cli's
 * field names and texts (its formatter's containerContext, imageContext,
 * volumeContext, networkContext, diskUsageContext), and the column titles a
 * `table` template's header shows. Methods that take an argument (`.Label "k"`)
 * are non-enumerable, so `{{json .}}` gives the fields alone, as Docker's.
 */
import type { ContainerSummary } from '../container/list.js';
import { volumeNameOf, type VolumeRecord } from '../container/volumes.js';
import type { ImageSummary } from '../image/summary.js';
import type { NetworkRecord } from '../network/records.js';
import type { Store } from '../store/store.js';
import type { UsageRow } from '../store/usage.js';
import { shortId } from '../util/digest.js';
import { decimalSize } from '../util/size.js';
import { timeAgo } from '../util/time.js';
import type { Headers } from './render.js';

/** Labels as Docker's listings print them: `k=v,k2=v2` (sorted, so the same every time). */
function labelText(labels: Record<string, string>): string {
  return Object.keys(labels).sort().map((key) => `${key}=${labels[key]}`).join(',');
}

function withLabel<Row extends object>(row: Row, labels: Record<string, string>): Row {
  Object.defineProperty(row, 'Label', { value: (key: unknown) => labels[String(key)] ?? '', enumerable: false });
  return row;
}

/** Go's time.Time.String() of a UTC instant: `2006-01-02 15:04:05 +0000 UTC`. */
export function goTime(iso: string | undefined): string {
  if (iso === undefined || !Number.isFinite(Date.parse(iso))) return '';
  return `${new Date(Date.parse(iso)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '').replace(/Z$/, '')} +0000 UTC`;
}

/** docker/cli's Ellipsis: at most `size` characters, the last one `…` when cut. */
function ellipsis(text: string, size: number): string {
  const chars = [...text];
  return chars.length <= size ? text : `${chars.slice(0, size - 1).join('')}…`;
}

export const PS_HEADERS: Headers = {
  ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', CreatedAt: 'CREATED AT', RunningFor: 'CREATED', Ports: 'PORTS', State: 'STATE', Status: 'STATUS',
  Size: 'SIZE', Names: 'NAMES', Labels: 'LABELS', Label: () => 'LABEL', Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES',
};

export interface PsRowParts {
  store: Store;
  summary: ContainerSummary;
  trunc: boolean;
  status: string;
  ports: string;
  networks: string[];
  /** Its sizes when asked for (`ps -s`, or a template that shows `.Size`): Docker's "0B" otherwise. */
  size?: { rw: number; rootFs: number } | undefined;
}

/** Docker's SIZE text: the writable layer, then the whole root file system as "virtual". */
export function sizeText(size: { rw: number; rootFs: number } | undefined): string {
  if (size === undefined) return '0B';
  return size.rootFs > 0 ? `${decimalSize(size.rw)} (virtual ${decimalSize(size.rootFs)})` : decimalSize(size.rw);
}

/** One `ps` row. */
export function psRow({ store, summary: { record, state }, trunc, status, ports, networks, size }: PsRowParts): Record<string, string> {
  const command = record.plan.process.args.join(' ');
  const volumes = record.plan.mounts.flatMap((mount) => (mount.kind === 'bind' ? [volumeNameOf(store, mount.source)] : [])).filter((name): name is string => name !== undefined);
  const mounts = record.plan.mounts.map((mount) => (mount.kind === 'bind' ? (volumeNameOf(store, mount.source) ?? mount.source) : mount.target));
  return withLabel({
    Command: JSON.stringify(trunc ? ellipsis(command, 20) : command),
    CreatedAt: goTime(record.created),
    ID: trunc ? shortId(record.id) : record.id,
    Image: record.image.name,
    Labels: labelText(record.labels),
    LocalVolumes: String(volumes.length),
    Mounts: mounts.map((mount) => (trunc ? ellipsis(mount, 15) : mount)).join(','),
    Names: record.name,
    Networks: networks.join(','),
    Ports: ports,
    RunningFor: timeAgo(record.created),
    Size: sizeText(size),
    State: state.status,
    Status: status,
  }, record.labels);
}

export const IMAGE_HEADERS: Headers = {
  ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', Size: 'SIZE',
  Containers: 'CONTAINERS', VirtualSize: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Platform: 'PLATFORM',
};

/** One `images` row. */
export function imageRow(image: ImageSummary, trunc: boolean): Record<string, string> {
  const size = decimalSize(image.Size);
  return {
    Containers: 'N/A',
    CreatedAt: goTime(image.Created),
    CreatedSince: timeAgo(image.Created),
    Digest: image.Digest === '' ? '<none>' : image.Digest,
    ID: trunc ? shortId(image.Id) : image.Id,
    // Keys in Go's sorted order, as docker/cli's JSON of a row (a map) prints them.
    Platform: image.Platform,
    Repository: image.Repository,
    SharedSize: 'N/A',
    Size: size,
    Tag: image.Tag,
    UniqueSize: 'N/A',
    VirtualSize: size,
  };
}

export const VOLUME_HEADERS: Headers = {
  Name: 'VOLUME NAME', Driver: 'DRIVER', Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Label: () => 'LABEL', Links: 'LINKS', Size: 'SIZE', CreatedAt: 'CREATED AT',
};

/** One `volume ls` row. */
export function volumeRow(volume: VolumeRecord): Record<string, string> {
  return withLabel({
    CreatedAt: goTime(volume.CreatedAt),
    Driver: volume.Driver,
    Labels: labelText(volume.Labels),
    Links: 'N/A',
    Mountpoint: volume.Mountpoint,
    Name: volume.Name,
    Scope: 'local',
    Size: 'N/A',
  }, volume.Labels);
}

export const NETWORK_HEADERS: Headers = {
  ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', Label: () => 'LABEL', CreatedAt: 'CREATED AT',
};

/** One `network ls` row. */
export function networkRow(network: NetworkRecord, trunc: boolean): Record<string, string> {
  return withLabel({
    CreatedAt: goTime(network.created),
    Driver: 'bridge',
    ID: trunc ? network.id.slice(0, 12) : network.id,
    IPv6: 'false',
    Internal: String(network.internal),
    Labels: labelText(network.labels),
    Name: network.name,
    Scope: 'local',
  }, network.labels);
}

export const DF_HEADERS: Headers = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

/** One `system df` row: Docker's texts (sizes in its units, reclaimable with its share). */
export function diskUsageRow(row: UsageRow): Record<string, string> {
  const percent = row.size === 0 ? '0%' : `${Math.round((row.reclaimable / row.size) * 100)}%`;
  return { Type: row.type, TotalCount: String(row.total), Active: String(row.active), Size: decimalSize(row.size), Reclaimable: `${decimalSize(row.reclaimable)} (${percent})` };
}

export const STATS_HEADERS: Headers = {
  Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', MemPeak: 'MEM PEAK', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS',
};
