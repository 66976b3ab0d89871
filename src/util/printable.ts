/**
 * Text a container wrote, quoted for a one-line message on the caller's terminal:
 * JSON's escapes for C0 controls, and \u escapes for DEL and the C1 range, which
 * JSON leaves alone. Stops a job's output (a service's log lines, a health check's
 * output) from sending escape sequences to the terminal that shows burrow's error:
 * retitling the window, moving the cursor over earlier lines, or answering back.
 */
export function quoteForTerminal(text: string): string {
  return JSON.stringify(text).replace(/[\u007f-\u009f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
