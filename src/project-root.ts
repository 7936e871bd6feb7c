/**
 * The project's root: the nearest folder above a module's own that holds `package.json`. The same
 * from the TypeScript sources (tsx, tests) and from the JavaScript `npm start` runs (`dist/start/`,
 * see scripts/compile-start.sh), so files found from it (the built console, the lock file) do not
 * depend on where the code was compiled to.
 */
import fs from 'node:fs';
import path from 'node:path';

export function projectRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
