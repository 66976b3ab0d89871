/**
 * Waits until `condition` holds, checking it every 25 ms, and fails naming `what`
 * after `timeoutMs`. The one poll loop of the tests: its deadline only bounds a
 * wait for something the test then goes on to check, never a timing it asserts.
 */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
