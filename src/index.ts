/** burrow as a library: everything the CLI does, callable without it. */
export { BurrowError, type ErrorCode } from './errors.js';
export { parseReference, formatReference, familiarName, familiarString, type ImageReference } from './reference/reference.js';
export { hostPlatform, parsePlatform, formatPlatform, type Platform } from './image/platform.js';
export type { Descriptor, ImageManifest, ImageIndex, ImageConfig } from './image/types.js';
export { validateManifest, validateIndex, validateConfig } from './image/validate.js';
export { loadConfig, type BurrowConfig } from './config/config.js';
export { RegistryClient } from './registry/client.js';
export { lookupCredentials, storeCredentials, eraseCredentials, type Credentials } from './registry/credentials.js';
export { login, logout } from './registry/login.js';
export { Store } from './store/store.js';
export { defaultStoreRoot } from './store/layout.js';
export { collectGarbage } from './store/gc.js';
export { diskUsage } from './store/usage.js';
export { checkStore, type CheckReport } from './store/check.js';
export { exportCache, importCache, type CacheExportResult, type CacheImportResult } from './store/cache.js';
export { copyImage, type CopyOptions, type CopyResult } from './copy/copy.js';
export { pullImage, type PullOptions, type PullResult } from './copy/pull.js';
export { loadArchive } from './copy/load.js';
export { saveImages, type ArchiveFormat } from './transport/archive-write.js';
export { requireImage, findRecords, loadLocalImage, type LocalImage } from './image/local.js';
export { listImages, inspectImage } from './image/summary.js';
export { removeImages, pruneImages } from './image/remove.js';
export { commitContainer, type CommitOptions, type CommitResult } from './image/commit.js';
export { buildImage, BUILD_LABEL, type BuildOptions, type BuildResult } from './build/builder.js';
export { parseDockerfile, type Dockerfile, type Instruction } from './build/parse.js';
export { parseChange, applyChanges, type ParsedChange } from './image/changes.js';

// Containers: the operations the CLI's container verbs call (src/cli/<verb>.ts), with their options and results.
export { createContainer, type CreateOptions, type MountRequest, type PullPolicy } from './container/create.js';
export { runContainer, containerOptions, type RunOptions, type RunResult } from './container/run.js';
export { startForeground, startDetached } from './container/start.js';
export { startContainer, restartContainer, type StartOptions } from './container/lifecycle.js';
export {
  stopContainer, killContainer, removeContainer, pauseContainer, waitContainer, renameContainer, pruneContainers,
  inspectContainer, containerPorts, publishedPorts,
} from './container/ops.js';
export { listContainers, filterContainers, parseContainerFilter, type ContainerSummary, type ContainerFilter, type ContainerFilterKey, type ListOptions } from './container/list.js';
export { statusText } from './container/status.js';
export { containerLogs, readContainerLogs, readLogs, followLogs, type LogEntry, type LogOptions, type LogTime } from './container/logs.js';
export { execInContainer, type ExecOptions } from './container/exec.js';
export { attachContainer } from './container/attach.js';
export { inspectObject } from './container/inspect.js';
export { containerProcesses, containerTop, type ProcessRow, type TopResult } from './container/top.js';
export { copy as copyFiles, parseCpPath } from './container/cp.js';
export { sampleStats, statsRow, statsTargets, watchStats, dockerStats, type StatsSample, type StatsRow, type DockerStats, type WatchOptions } from './container/stats.js';
export { updateContainer } from './container/update.js';
export { parseLimits, parseLimitMode, parseSize, type LimitFlags } from './container/limits.js';
export type { Limits, LimitMode } from './cgroup/index.js';
export { parseVolume, parseMount, parseLabels, parseLogOptions, parseLogMaxFiles, readEnvFile, parseStopTimeout, parseByteSize, parseUlimit, parseDevice, parseStopSignal, type Ulimit, type DeviceRequest } from './container/specs.js';
export { findContainer, type ContainerRecord, type RestartPolicy } from './container/record.js';
export { containerState, type ContainerState, type ContainerStatus } from './container/state.js';
export { parsePublish, parseExpose } from './network/ports.js';
export { parseSecurityOptions, type SecurityOptions } from './sandbox/security.js';

// Networks and volumes.
export {
  createNetwork, listNetworks, findNetwork, requireNetwork, inspectNetwork, removeNetwork, pruneNetworks,
  type NetworkRecord, type CreateNetworkOptions, type NetworkInspect,
} from './network/records.js';
export { connectContainer, disconnectContainer } from './network/connect.js';
export { createVolume, listVolumes, readVolume, removeVolume, pruneVolumes, removeAnonymousVolumes, parseVolumeOptions, isAnonymousVolume, ANONYMOUS_VOLUME_LABEL, type VolumeRecord } from './container/volumes.js';

// Jobs: steps beside service containers (`burrow job run FILE`).
export { loadJobFile, parseJobText } from './job/load.js';
export { runJob } from './job/runner.js';
export type { JobDefinition, StepDefinition, ServiceDefinition, JobEvent, JobPhase, JobResult, RunJobOptions, StepResult, StepOutcome } from './job/types.js';

// The workspace stays the runner's (issue 12): keep-id, `burrow unshare`, reclaiming a workspace.
export { reclaimOwnership, runInUserNamespace } from './userns/reclaim.js';
export { parseUserns, type UsernsOption, type KeepId } from './userns/keep-id.js';
