/** Commander's way to collect a repeatable flag. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/**
 * Acts on every container at once; one failure does not stop the others, and the
 * first error is reported once all are done (Docker's behaviour for stop and rm).
 */
export async function forEach(names: string[], act: (name: string) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(names.map(act));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
