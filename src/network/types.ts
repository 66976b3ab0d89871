/**
 * What a container's network is, as data: the plan's `network` (decided by
 * create), and what a start resolved it to (which helper, which host ports).
 * Design and the division of work: docs/ARCHITECTURE.md, "Networks".
 */

/** A user-space helper that connects a private network namespace to the host's network. */
export type NetworkHelperName = 'pasta' | 'slirp4netns';

/** -p as asked: hostPort 0 means "a free port chosen at each start", hostIp '' all addresses (Docker's default). */
export interface PortMapping {
  hostIp: string;
  hostPort: number;
  /** `-p 8000-8010:80`: the first free host port from hostPort to this one, chosen at each start. */
  hostPortEnd?: number | undefined;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** A port as a start published it (hostPort chosen): run state, shown by port, ps and inspect. */
export interface PublishedPort {
  hostIp: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp';
}

/** A container's membership of a user-defined network (`--network NAME`, `network connect`). */
export interface NetworkAttachment {
  /** The network's id (networks/<id>.json). */
  network: string;
  /** Its name when the container joined it, for messages. */
  name: string;
  /** The container's address in the network's subnet, fixed when it joined. */
  address: string;
  prefixLength: number;
  gateway?: string | undefined;
  mac: string;
  aliases: string[];
}

/** Names and resolvers: /etc/hosts and /etc/resolv.conf inside, from the flags. */
export interface NameSettings {
  /** --add-host NAME:ADDR (ADDR may be `host-gateway`). */
  extraHosts: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
}

/**
 * The network of a container as create decided it.
 * - `none`: loopback only (bwrap --unshare-net).
 * - `host`: the host's network namespace.
 * - `private`: a network namespace of its own, connected by `helper` (`auto`:
 *   pasta where usable, else slirp4netns, else `none` with a note), plus the
 *   user-defined networks it joined.
 * - `container`: the network (and user) namespace of another running container.
 */
export type NetworkPlan =
  | { mode: 'none' }
  | { mode: 'host' }
  | {
      mode: 'private';
      helper: 'auto' | NetworkHelperName;
      /** Options given as `pasta:OPT,OPT` / `slirp4netns:OPT,OPT`, passed on. */
      helperOptions: string[];
      ports: PortMapping[];
      /** -P: the image's ExposedPorts, each on a free host port. */
      publishAll: boolean;
      exposedPorts: Array<{ port: number; protocol: 'tcp' | 'udp' }>;
      mac?: string | undefined;
      networks: NetworkAttachment[];
      /**
       * Whether the container is on the default network too (its helper's eth0, with
       * outbound access): true unless created with `--network NAME`. Undefined in a
       * record from before: true when it has no user-defined networks. A container
       * whose networks are all internal and not on the default one has no helper.
       */
      defaultNetwork?: boolean | undefined;
    }
  | { mode: 'container'; container: string };

/** What a start resolved a private network to (run state in the container's directory: network.json). */
export interface NetworkRunState {
  /** The helper that connects it; undefined when the start fell back to `none`. */
  helper: NetworkHelperName | undefined;
  ports: PublishedPort[];
  /** The address the host's loopback is reached at from inside, when host-gateway was asked for. */
  hostGateway?: string | undefined;
  /** The container's address and gateway on its helper's interface, and the MAC asked for (inspect's NetworkSettings). */
  address?: string | undefined;
  gateway?: string | undefined;
  mac?: string | undefined;
  /** Why the helper is gone, when it died before the container (written by burrow-net). */
  helperError?: string | undefined;
}
