/**
 * One error type for the whole library (as crun's libcrun_error_t): a message a
 * user can act on, a stable code for programs, and the exit status the CLI maps it to.
 */
export type ErrorCode =
  | 'INVALID_REFERENCE'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NETWORK'
  | 'TIMEOUT'
  | 'DIGEST_MISMATCH'
  | 'INVALID_MANIFEST'
  | 'NO_PLATFORM'
  | 'REGISTRY'
  | 'NO_SPACE'
  | 'IN_USE'
  | 'INTERRUPTED'
  | 'LOCKED'
  | 'NO_DRIVER'
  | 'IO';

/** Docker's convention: 125 is "the runner itself failed" (run, create, start, and a command line that does not parse). */
export const EXIT_BURROW_ERROR = 125;

/** Every other command's own errors exit 1, as the docker CLI's do. */
export const EXIT_COMMAND_ERROR = 1;

/**
 * The commands whose own errors are 125, so that a script tells them from the
 * container's 126, 127 or exit status: Docker's run, create and start; burrow's
 * `job` (its status is the failed step's) and Podman's `healthcheck run` (1 is
 * "unhealthy").
 */
const RUNNER_COMMANDS: ReadonlySet<string> = new Set(['run', 'create', 'start', 'job', 'healthcheck']);

/** The exit status of `error` ending `command` (its words, as `container start`). */
export function exitStatusFor(error: BurrowError | undefined, command: string | undefined): number {
  if (error?.explicitExit === true) return error.exitCode;
  return command !== undefined && RUNNER_COMMANDS.has(command) ? EXIT_BURROW_ERROR : EXIT_COMMAND_ERROR;
}

export class BurrowError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  /** A network hiccup worth another attempt (with Range, for a blob). */
  readonly retryable: boolean;
  /** The exit status was chosen where the error was made (or is an interruption's): the CLI keeps it. */
  readonly explicitExit: boolean;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; exitCode?: number; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BurrowError';
    this.code = code;
    this.exitCode = options.exitCode ?? (code === 'INTERRUPTED' ? 130 : EXIT_BURROW_ERROR);
    this.retryable = options.retryable ?? false;
    this.explicitExit = options.exitCode !== undefined || code === 'INTERRUPTED';
  }
}

export function isBurrowError(error: unknown, code?: ErrorCode): error is BurrowError {
  return error instanceof BurrowError && (code === undefined || error.code === code);
}

/** errno-style code of a Node system error, if any. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Turns file-system failures into errors that say what to do. */
export function fsError(error: unknown, what: string): BurrowError {
  if (error instanceof BurrowError) return error;
  const errno = errnoOf(error);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    return new BurrowError('NO_SPACE', `no space left on device while ${what}: free some space (burrow system prune) and try again`, { cause: error });
  }
  if (errno === 'EACCES' || errno === 'EPERM' || errno === 'EROFS') {
    return new BurrowError('IO', `permission denied while ${what}: check that the store directory is writable by you (or choose another with --root)`, { cause: error });
  }
  const detail = error instanceof Error ? error.message : String(error);
  return new BurrowError('IO', `${what} failed: ${detail}`, { cause: error });
}
