/**
 * What every console browser test shares: Debian's Chromium (skipped with a warning where it is
 * missing), the console built by the project's own script, the sign-in form, and axe-core.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
const REPO = path.resolve(__dirname, '../..');
const AXE = fs.readFileSync(path.join(REPO, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** Warn, once per file, that the file's browser tests are skipped. */
export function warnIfNoChromium(file: string): void {
  if (!HAVE_CHROMIUM) {
    console.warn(`${file}: skipped — no Chromium at ${CHROMIUM} (scripts/install-tools.sh installs Debian's chromium; or set TESSERA_CHROMIUM)`);
  }
}

/** The console as the project's own script builds it (a no-op when console/ did not change). */
export function buildConsole(): void {
  execFileSync('bash', ['scripts/console-build.sh'], { cwd: REPO, stdio: 'inherit' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Sign in through the console's form. */
export async function signIn(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Admin key or app key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

/** axe-core in the page: serious and critical violations, by rule. */
export async function accessibility(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string: the test is type-checked without the DOM library.
  const violations = (await page.evaluate(`axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes })))`)) as {
    id: string;
    impact: string;
    nodes: unknown[];
  }[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}, ${v.nodes.length} nodes)`);
}

/** Pixels of a chart's canvas in the series' own colour (#1f5fbf, the line and its points; the axes
 * and grid are grey), so an empty chart with axes only counts none. `selector` picks the chart. */
export async function seriesPixels(page: Page, selector = '.chart canvas'): Promise<number> {
  return page.evaluate(`(() => {
    const canvas = document.querySelector(${JSON.stringify(selector)});
    if (!canvas) return -1;
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 200 && data[i] < 70 && data[i + 1] > 70 && data[i + 1] < 120 && data[i + 2] > 160) inked++;
    return inked;
  })()`) as Promise<number>;
}
