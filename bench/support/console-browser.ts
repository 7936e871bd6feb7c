/**
 * `bench:console`'s two browser figures, in Debian's Chromium (playwright-core):
 *
 * - the console's first load: a fresh browser context (empty cache) opens /console/, signs in
 *   with the admin key and waits for the live overview; the JavaScript it transferred is the sum of
 *   the script responses' encoded body sizes as the browser received them (compressed, as served);
 * - a run → visible on the open overview: the wall-clock time from just before the chat turn's
 *   `POST` (this process) to the moment the page's turns cell for the app shows one more (a
 *   MutationObserver in the page stamps it with `Date.now()`; same machine, same clock).
 */
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

export interface FirstLoad {
  /** Encoded (transferred) bytes of every script response. */
  scriptBytes: number;
  scripts: { url: string; bytes: number; encoding: string }[];
  /** Encoded bytes of everything else the page loaded before the overview was live (HTML, CSS…). */
  otherBytes: number;
}

/** Opens the console in a fresh context and signs in; the page is left on the live overview. */
export async function firstLoad(browser: Browser, baseUrl: string, key: string): Promise<{ page: Page; load: FirstLoad }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const finished: Promise<{ url: string; type: string; bytes: number; encoding: string } | undefined>[] = [];
  page.on('requestfinished', (request) => {
    finished.push(
      (async () => {
        const response = await request.response();
        // The live stream never finishes; everything else the page loads does.
        if (!response || request.url().includes('/console/api/live')) return undefined;
        const sizes = await request.sizes();
        return { url: new URL(request.url()).pathname, type: request.resourceType(), bytes: sizes.responseBodySize, encoding: (await response.allHeaders())['content-encoding'] ?? 'identity' };
      })(),
    );
  });
  await page.goto(`${baseUrl}/console/`);
  await page.getByLabel('Admin key or app key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('[data-live-status="live"]').waitFor();
  await page.waitForLoadState('networkidle').catch(() => undefined);
  const loaded = (await Promise.all(finished)).filter((r): r is NonNullable<typeof r> => r !== undefined);
  const scripts = loaded.filter((r) => r.type === 'script').map(({ url, bytes, encoding }) => ({ url, bytes, encoding }));
  return {
    page,
    load: {
      scriptBytes: scripts.reduce((sum, s) => sum + s.bytes, 0),
      scripts,
      otherBytes: loaded.filter((r) => r.type !== 'script').reduce((sum, r) => sum + r.bytes, 0),
    },
  };
}

/** The turns the overview shows for `appId` now (0 while the app has no row). */
export async function shownTurns(page: Page, appId: string): Promise<number> {
  return (await page.evaluate(`Number(document.querySelector('tr[data-app="${appId}"] td[data-turns]')?.textContent ?? 0)`)) as number;
}

/** Arms the page to stamp when the turns cell of `appId` first reaches `target`. */
export async function armVisibleStamp(page: Page, appId: string, target: number): Promise<void> {
  await page.evaluate(`(() => {
    window.__seenAt = undefined;
    const check = () => {
      const cell = document.querySelector('tr[data-app="${appId}"] td[data-turns]');
      if (window.__seenAt === undefined && cell && Number(cell.textContent) >= ${target}) {
        window.__seenAt = Date.now();
        window.__observer.disconnect();
      }
    };
    window.__observer?.disconnect();
    window.__observer = new MutationObserver(check);
    window.__observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    check();
  })()`);
}

/** When (`Date.now()`) the armed stamp fired; waits up to `timeoutMs`. */
export async function visibleAt(page: Page, timeoutMs: number): Promise<number> {
  // A function, not a string: the console's CSP forbids eval, which a string predicate needs.
  await page.waitForFunction(() => (globalThis as { __seenAt?: number }).__seenAt !== undefined, undefined, { timeout: timeoutMs, polling: 50 });
  return (await page.evaluate('window.__seenAt')) as number;
}
