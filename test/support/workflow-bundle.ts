/** The workflow code bundled once per test run by the global setup (webpack takes seconds). */
import fs from 'node:fs';
import { services } from './services';

let cached: { code: string } | undefined;

export function workflowBundle(): { code: string } {
  cached ??= { code: fs.readFileSync(services().workflowBundlePath, 'utf8') };
  return cached;
}
