import { BurrowError } from '../errors.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string | undefined;
}

const NODE_ARCH_TO_OCI: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

export function hostPlatform(): Platform {
  const architecture = NODE_ARCH_TO_OCI[process.arch] ?? process.arch;
  const variant = architecture === 'arm64' ? 'v8' : architecture === 'arm' ? armVariant() : undefined;
  return { os: process.platform === 'linux' ? 'linux' : process.platform, architecture, variant };
}

function armVariant(): string {
  const version = (process.config.variables as { arm_version?: string | number }).arm_version;
  return version === undefined ? 'v7' : `v${version}`;
}

export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => part.length === 0)) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid platform "${text}": expected os/arch[/variant], for example linux/amd64 or linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return normalizePlatform({ os: os.toLowerCase(), architecture: architecture.toLowerCase(), variant: variant?.toLowerCase() });
}

/** Aliases as containerd's platforms package normalises them. */
export function normalizePlatform(platform: Platform): Platform {
  let { architecture, variant } = platform;
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'armhf') { architecture = 'arm'; variant = variant ?? 'v7'; }
  if (architecture === 'armel') { architecture = 'arm'; variant = variant ?? 'v6'; }
  if (architecture === 'arm64' && variant === undefined) variant = 'v8';
  if (architecture === 'arm' && variant === undefined) variant = 'v7';
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return { os: platform.os, architecture, variant };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined && part !== '').join('/');
}

export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  const a = normalizePlatform(wanted);
  const b = normalizePlatform(candidate);
  if (a.os !== b.os || a.architecture !== b.architecture) return false;
  // An entry without a variant serves every variant of its architecture.
  return b.variant === undefined || a.variant === undefined || a.variant === b.variant;
}
