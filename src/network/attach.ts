import type { Store } from '../store/store.js';
import type { NetworkAttachment } from './types.js';

/**
 * A start's user-defined networks: each network's switch made sure to run, and
 * one attach file per network for `burrow-net --attach FILE` (which runs
 * `burrow-netattach --target PID FILE`). (Interface fixed for issue 11's helpers; net-user implements it.)
 */
export async function prepareAttachments(_store: Store, _containerId: string, _containerName: string, _hostsFile: string, attachments: NetworkAttachment[]): Promise<string[]> {
  if (attachments.length === 0) return [];
  throw new Error('user-defined networks are not implemented yet');
}
