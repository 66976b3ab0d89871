/**
 * `burrow info` and `burrow version`: Docker's field names (`docker info
 * --format '{{.ServerVersion}}'`, `docker version --format '{{.Server.Version}}'`
 * work as scripts expect). burrow is its own engine: no daemon, so Client and
 * Server are the same program.
 */
import { existsSync, readFileSync } from 'node:fs';
import { arch, cpus, hostname, release, totalmem } from 'node:os';
import { listContainers } from '../container/list.js';
import { listImages } from '../image/summary.js';
import type { Store } from '../store/store.js';
import { VERSION } from '../version.js';

/** Go's GOARCH for Node's arch. */
function goArch(): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[arch()] ?? arch();
}

/** uname -m's spelling, as Docker's Architecture. */
function machine(): string {
  return ({ amd64: 'x86_64', arm64: 'aarch64', '386': 'i686' } as Record<string, string>)[goArch()] ?? goArch();
}

function operatingSystem(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch {
    return 'Linux';
  }
}

export interface SystemInfo {
  ID: string;
  Containers: number;
  ContainersRunning: number;
  ContainersPaused: number;
  ContainersStopped: number;
  Images: number;
  Driver: string;
  LoggingDriver: string;
  CgroupDriver: string;
  CgroupVersion: string;
  KernelVersion: string;
  OperatingSystem: string;
  OSType: string;
  Architecture: string;
  NCPU: number;
  MemTotal: number;
  DockerRootDir: string;
  Name: string;
  ServerVersion: string;
  DefaultRuntime: string;
  SecurityOptions: string[];
  Rootless: boolean;
  Warnings: string[];
  ClientInfo: { Version: string; Context: string; Debug: boolean };
}

export function systemInfo(store: Store): SystemInfo {
  const containers = listContainers(store, { all: true });
  const running = containers.filter(({ state }) => state.status === 'running');
  const paused = running.filter(({ state }) => state.paused).length;
  return {
    ID: '',
    Containers: containers.length,
    ContainersRunning: running.length - paused,
    ContainersPaused: paused,
    ContainersStopped: containers.length - running.length,
    Images: new Set(listImages(store).map((image) => image.Id)).size,
    // Chosen per container at its first start: overlay, else fuse-overlayfs, else copy.
    Driver: 'auto',
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: existsSync('/sys/fs/cgroup/cgroup.controllers') ? '2' : '1',
    KernelVersion: release(),
    OperatingSystem: operatingSystem(),
    OSType: 'linux',
    Architecture: machine(),
    NCPU: cpus().length,
    MemTotal: totalmem(),
    DockerRootDir: store.root,
    Name: hostname(),
    ServerVersion: VERSION,
    DefaultRuntime: 'burrow',
    SecurityOptions: ['name=seccomp,profile=builtin', 'name=rootless'],
    Rootless: true,
    Warnings: [],
    ClientInfo: { Version: VERSION, Context: 'default', Debug: false },
  };
}

export interface VersionInfo {
  Client: { Platform: { Name: string }; Version: string; NodeVersion: string; Os: string; Arch: string; Context: string };
  Server: { Platform: { Name: string }; Version: string; Os: string; Arch: string; KernelVersion: string; Components: Array<{ Name: string; Version: string }> };
}

export function versionInfo(): VersionInfo {
  const platform = { Name: 'burrow (rootless, daemonless)' };
  return {
    Client: { Platform: platform, Version: VERSION, NodeVersion: process.version, Os: 'linux', Arch: goArch(), Context: 'default' },
    Server: { Platform: platform, Version: VERSION, Os: 'linux', Arch: goArch(), KernelVersion: release(), Components: [{ Name: 'Engine', Version: VERSION }] },
  };
}
