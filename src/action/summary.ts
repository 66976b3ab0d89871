/**
 * The job summary (GITHUB_STEP_SUMMARY): one table of what ran, written through
 * @actions/core's summary (which appends Markdown/HTML to that file). Built from the
 * same step results the outputs come from, so the two cannot disagree.
 */
import { summary } from '@actions/core';
import type { StepResult as JobStepResult, ServiceExit } from '../job/types.js';

export interface SummaryData {
  image: string;
  digest: string;
  exitCode: number;
  durationMs: number;
  steps: JobStepResult[];
  /** A job file's services that exited during its steps. */
  serviceExits?: ServiceExit[] | undefined;
  peaks?: { memoryBytes?: number | undefined; pids?: number | undefined } | undefined;
}

const OUTCOME: Record<JobStepResult['outcome'], string> = {
  success: '✅ success',
  failure: '❌ failure',
  continued: '⚠️ failed, continued',
  skipped: '⏭️ skipped',
};

/** Cells are HTML: names the workflow or a job file chose are text. */
const text = (value: string): string => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

export async function writeSummary(data: SummaryData): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY === undefined) return;
  const memory = data.peaks?.memoryBytes;
  const pids = data.peaks?.pids;
  summary
    .addHeading(`burrow: ${data.exitCode === 0 ? 'passed' : `failed (exit code ${data.exitCode})`}`, 3)
    .addTable([
      [{ data: 'image', header: true }, { data: 'digest', header: true }, { data: 'duration', header: true }, { data: 'peak memory', header: true }, { data: 'peak processes', header: true }],
      [text(data.image), data.digest === '' ? '–' : `<code>${data.digest}</code>`, formatDuration(data.durationMs), memory === undefined ? '–' : formatBytes(memory), pids === undefined ? '–' : String(pids)],
    ])
    .addTable([
      [{ data: 'step', header: true }, { data: 'status', header: true }, { data: 'exit code', header: true }, { data: 'time', header: true }],
      ...data.steps.map((step) => [text(step.name), OUTCOME[step.outcome], step.outcome === 'skipped' ? '–' : String(step.exitCode), formatDuration(step.durationMs)]),
    ]);
  const exits = data.serviceExits ?? [];
  if (exits.length > 0) {
    summary.addTable([
      [{ data: 'service exited during the steps', header: true }, { data: 'container', header: true }, { data: 'exit code', header: true }, { data: 'last log lines', header: true }],
      ...exits.map((exit) => [text(exit.service), text(exit.container), String(exit.exitCode), `<code>${text(exit.lastLogLines)}</code>`]),
    ]);
  }
  await summary.write();
}
