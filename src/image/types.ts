import type { Platform } from './platform.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform & { 'os.version'?: string; 'os.features'?: string[]; features?: string[] };
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ContainerConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
}

export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  variant?: string;
  os: string;
  config?: ContainerConfig | null;
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: Array<Record<string, unknown>>;
}
