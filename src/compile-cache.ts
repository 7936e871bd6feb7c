/**
 * Node.js's module compile cache for `npm start`: V8 keeps the code it compiled for every module
 * (Tessera's and node_modules') on disk, so a warm start skips parsing and compiling ≈ 0.6 s of
 * JavaScript again (bench:startup: ≈ 0.2 s less to healthy on 2 cores). Imported first by the
 * launcher and by a chat worker process, before any module it would speed up. Only for the
 * compiled entry (`dist/start/`): the cache lives beside that build and goes with it when
 * scripts/compile-start.sh rebuilds.
 * Node.js checks every entry against its source's hash, so a stale entry is never used.
 */
import module from 'node:module';
import path from 'node:path';

const compiled = __filename.endsWith('.js');

/** Where the cache lives (this file compiles to dist/start/src/, the cache is
 * dist/start/.node-compile-cache); undefined when run from the sources. */
export const compileCacheDir = compiled ? path.resolve(__dirname, '..', '.node-compile-cache') : undefined;

if (compileCacheDir) module.enableCompileCache(compileCacheDir);

/** Writes what this start compiled now, not only at exit (a killed process would lose it). */
export function flushCompileCache(): void {
  if (compileCacheDir) module.flushCompileCache();
}
