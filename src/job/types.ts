/**
 * A job file as data (`burrow job run FILE`): what load.ts makes of the YAML or
 * JSON once schemas/job.schema.json and the checks beside it passed, and what
 * the runner reports while it runs. Spelt after GitHub Actions' container jobs
 * (`steps`, `run`, `env`, `working-directory`, `continue-on-error`, `services`)
 * and docker compose (`replicas`, `healthcheck`, `ports`, `command`).
 */
import type { Limits } from '../cgroup/index.js';
import type { HealthConfig } from '../container/health-config.js';
import type { MountRequest } from '../container/create.js';
import type { PortMapping } from '../network/types.js';

/** Docker's HEALTHCHECK, as containers keep it (src/container/health-config.ts; times in ms). */
export type JobHealthCheck = HealthConfig;

export interface StepDefinition {
  /** As written, or `Run <first line of the script>` / the command. */
  name: string;
  /** The argv exec'd in the job container: `sh -e -c SCRIPT` for `run` (GitHub's `sh -e {0}`), or `command` as given. */
  argv: string[];
  /** NAME=value, over the job's env. */
  env: string[];
  workingDirectory?: string | undefined;
  continueOnError: boolean;
  timeoutMs?: number | undefined;
  /** The line of the step in its file, for messages and annotations. */
  line: number;
}

export interface ServiceDefinition {
  name: string;
  image: string;
  env: string[];
  ports: PortMapping[];
  command: string[];
  entrypoint?: string[] | undefined;
  replicas: number;
  user?: string | undefined;
  volumes: MountRequest[];
  /** What the file gives, over the image's own HEALTHCHECK and Docker's defaults; 'none': no check; undefined: the image's. */
  healthcheck?: Partial<JobHealthCheck> | 'none' | undefined;
}

export interface JobDefinition {
  /** The job file's path, as given (messages). */
  file: string;
  /** `name`, or the file's base name: only for messages and container labels. */
  name: string;
  image: string;
  env: string[];
  volumes: MountRequest[];
  /** Host directory mounted at the same path, the steps' default working directory (undefined: the caller's cwd). */
  workspace?: string | undefined;
  user?: string | undefined;
  limits: Limits;
  /** A user-defined network to join (kept after the job); undefined: a network of the job's own. */
  network?: string | undefined;
  services: ServiceDefinition[];
  steps: StepDefinition[];
}

/** The phases the runner reports (the Action makes a log group of each). */
export type JobPhase = 'pull' | 'services' | 'step' | 'teardown';

export type JobEvent =
  | { kind: 'phase-start'; phase: JobPhase; name: string }
  | { kind: 'phase-end'; phase: JobPhase; name: string; durationMs: number; exitCode?: number | undefined; outcome?: StepOutcome | undefined; error?: string | undefined }
  | { kind: 'output'; stream: 'stdout' | 'stderr'; text: string; phase: JobPhase; name: string }
  | { kind: 'note'; text: string };

/**
 * success / failure as GitHub shows them; `continued`: failed under
 * continue-on-error; `skipped`: not run because an earlier step failed or a
 * service exited.
 */
export type StepOutcome = 'success' | 'failure' | 'skipped' | 'continued';

export interface StepResult {
  name: string;
  exitCode: number;
  durationMs: number;
  outcome: StepOutcome;
  /** Why it failed, when burrow ended it (its timeout). */
  error?: string | undefined;
}

/** A service replica found exited while the steps ran (runner.ts: every service must stay up for the whole job). */
export interface ServiceExit {
  service: string;
  /** The replica's container name (`JOB-NAME-N`). */
  container: string;
  exitCode: number;
  /** Its last log lines, on one line. */
  lastLogLines: string;
}

export interface JobResult {
  /**
   * The first failed step's exit status (continue-on-error steps do not count);
   * else 125 when a service exited during the steps; 0 when all passed.
   */
  exitCode: number;
  durationMs: number;
  /** The job image's manifest digest. */
  imageDigest: string;
  steps: StepResult[];
  /** Service replicas that exited during the steps (absent: none did). */
  serviceExits?: ServiceExit[] | undefined;
  peaks?: { memoryBytes?: number; pids?: number } | undefined;
}

export interface RunJobOptions {
  /** Aborted: the running step is stopped, everything torn down, and runJob throws INTERRUPTED. */
  signal?: AbortSignal | undefined;
  /** Overrides the file's `workspace` (the Action's $GITHUB_WORKSPACE, `--workspace`). */
  workspace?: string | undefined;
  onEvent?: (event: JobEvent) => void;
  /** Labels for every container the job makes, beside its own `burrow.job` (the Action marks what its post step removes). */
  labels?: Record<string, string> | undefined;
}
