/**
 * `@temporalio/workflow-streams` for the streaming benchmark, unpacked on first use into the tools
 * directory (`.tools/workflow-streams/<version>/package`, beside the other installed tools and out
 * of the type-check and lint), idempotently: skipped when that version is there.
 *
 * Why not a dependency: its newest release (1.23.0) pins every `@temporalio/*` package at 1.23.0
 * exactly, while Tessera runs 1.24.0. Installed normally it would bring a second copy of
 * `@temporalio/workflow` and `@temporalio/client` (the workflow bundle would hold two SDK copies, and
 * its client's `instanceof` checks would miss our client's errors). Unpacked without its
 * dependencies, its `require('@temporalio/…')` calls resolve upward to the project's single 1.24.0
 * copy; it uses only their public API. The tarball comes from the registry through `npm pack`,
 * which checks its integrity.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const WORKFLOW_STREAMS_VERSION = '1.23.0';
const PACKAGE = '@temporalio/workflow-streams';
/** What it may depend on: the SDK packages the project already has. */
const PROVIDED = new Set(['@temporalio/proto', '@temporalio/activity', '@temporalio/workflow', '@temporalio/common', '@temporalio/client']);

export interface WorkflowStreamsPackage {
  dir: string;
  version: string;
  /** Entry points, for the workflow bundler's alias and for `require`. */
  workflowEntry: string;
  clientEntry: string;
}

export function ensureWorkflowStreams(toolsDir: string): WorkflowStreamsPackage {
  const dir = path.join(toolsDir, 'workflow-streams', WORKFLOW_STREAMS_VERSION, 'package');
  const manifest = path.join(dir, 'package.json');
  if (installedVersion(manifest) !== WORKFLOW_STREAMS_VERSION) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-wfs-'));
    try {
      process.stdout.write(`installing ${PACKAGE}@${WORKFLOW_STREAMS_VERSION} into ${path.relative(process.cwd(), dir)}\n`);
      const tarball = execFileSync('npm', ['pack', `${PACKAGE}@${WORKFLOW_STREAMS_VERSION}`, '--silent', '--pack-destination', scratch], { encoding: 'utf8' }).trim().split('\n').at(-1) ?? '';
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(dir), { recursive: true });
      // The tarball's top directory is `package/`: unpacked beside it lands exactly at `dir`.
      execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', path.dirname(dir)]);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  }
  const meta = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string; dependencies?: Record<string, string> };
  const foreign = Object.keys(meta.dependencies ?? {}).filter((name) => !PROVIDED.has(name));
  if (foreign.length > 0) throw new Error(`${PACKAGE}@${meta.version} needs ${foreign.join(', ')}, which the project does not provide`);
  return { dir, version: meta.version, workflowEntry: path.join(dir, 'lib', 'workflow.js'), clientEntry: path.join(dir, 'lib', 'client.js') };
}

function installedVersion(manifest: string): string | undefined {
  try {
    return (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
