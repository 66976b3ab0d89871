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
// The workspace stays the runner's (issue 12): keep-id, `burrow unshare`, reclaiming a workspace.
export { reclaimOwnership, runInUserNamespace } from './userns/reclaim.js';
export { parseUserns, type UsernsOption, type KeepId } from './userns/keep-id.js';
