/**
 * The workflow bundle, built with webpack once per version of the workflow code and cached on
 * disk: bundling takes seconds, and a restart with unchanged code should not pay for it again.
 * The cache key covers everything the bundle is made of: the workflow and domain sources (all a
 * workflow may import) and the locked dependency versions.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type Logger } from '@temporalio/worker';
import { workflowsEntry } from './start-workers';
import { projectRoot } from '../project-root';

const SOURCE_DIRS = ['workflows', 'domain'];

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      return entry.isDirectory() ? sourceFiles(file) : /\.(ts|js|json)$/.test(entry.name) ? [file] : [];
    })
    .sort();
}

export function workflowBundleKey(srcDir: string, lockFile: string): string {
  const hash = createHash('sha256');
  for (const file of SOURCE_DIRS.flatMap((dir) => sourceFiles(path.join(srcDir, dir)))) {
    hash.update(path.relative(srcDir, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  if (fs.existsSync(lockFile)) hash.update(fs.readFileSync(lockFile));
  return hash.digest('hex').slice(0, 20);
}

/** The bundle's code, and the cache file that holds it (worker processes read it from there). */
/** `interceptorModules`: workflow interceptor modules to bundle (tracing's, when it is on); they
 * are part of the cache key, so a traced and an untraced start do not share a bundle. */
export async function loadWorkflowBundle(
  cacheDir: string,
  logger?: Logger,
  interceptorModules: string[] = [],
): Promise<{ code: string; file: string }> {
  const srcDir = path.resolve(__dirname, '..');
  let key = workflowBundleKey(srcDir, path.join(projectRoot(__dirname), 'package-lock.json'));
  if (interceptorModules.length > 0) key += `-${createHash('sha256').update(interceptorModules.join('\0')).digest('hex').slice(0, 8)}`;
  const file = path.join(cacheDir, `workflow-bundle-${key}.js`);
  if (fs.existsSync(file)) return { code: fs.readFileSync(file, 'utf8'), file };

  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsEntry(),
    ...(interceptorModules.length > 0 ? { workflowInterceptorModules: interceptorModules } : {}),
    ...(logger ? { logger } : {}),
  });
  fs.mkdirSync(cacheDir, { recursive: true });
  for (const stale of fs.readdirSync(cacheDir).filter((name) => name.startsWith('workflow-bundle-'))) {
    fs.rmSync(path.join(cacheDir, stale), { force: true });
  }
  // Write then rename, so a crash never leaves a truncated bundle under the final name.
  fs.writeFileSync(`${file}.tmp`, code);
  fs.renameSync(`${file}.tmp`, file);
  return { code, file };
}
