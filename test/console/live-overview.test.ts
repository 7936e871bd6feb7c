/**
 * The console's live overview (`GET /console/api/live`, console/src/overview.tsx) against the real
 * stack (Temporal dev server, FerretDB, Redis, the offline model) and in a real Chromium: a turn
 * made while the page is open shows on it without a reload, for the admin (every app) and for an
 * app owner (its own app, never another's row); the stream itself carries an app owner nothing of
 * another app, by a direct call with the session cookie or with its key; twenty open streams cost
 * no more snapshot computations than one (the process's own counter, not a mock); a caller's
 * streams are bounded and given back when they close; axe-core finds nothing serious.
 */
import type { Browser, Page } from 'playwright-core';
import { createParser } from 'eventsource-parser';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { liveSnapshotStats, type LiveSnapshot } from '../../src/api/console-live-snapshot';
import { startApiStack, type ApiStack } from '../support/api-stack';
import { accessibility, buildConsole, HAVE_CHROMIUM, launchChromium, seriesPixels, signIn, warnIfNoChromium } from './support';

warnIfNoChromium('live-overview.test.ts');
const A = 'lo-a';
const B = 'lo-b';

let stack: ApiStack;
let browser: Browser | undefined;
let keyA: string;
let keyB: string;
const chats: Record<string, string> = {};

/** One chat turn of `appId` through the HTTP API (it returns once the turn completed). */
async function turn(appId: string, key: string, content: string): Promise<void> {
  if (!chats[appId]) {
    const session = await stack.call('POST', '/v1/sessions', { key, body: { template: 'assistant', user_id: 'u-live' } });
    expect(session.status).toBe(200);
    chats[appId] = ((await session.json()) as { chat_id: string }).chat_id;
  }
  const response = await stack.call('POST', `/v1/chats/${chats[appId]}/messages`, { key, body: { content } });
  expect(response.status).toBe(200);
}

interface LiveReader {
  status: number;
  /** The first bytes of the body (the `retry:` hint). */
  head: () => string;
  snapshots: LiveSnapshot[];
  /** Resolves once `n` snapshots arrived. */
  until(n: number): Promise<void>;
  close(): void;
}

/** A stream read from Node, parsed as it arrives. */
async function openLive(headers: Record<string, string>): Promise<LiveReader> {
  const abort = new AbortController();
  const response = await fetch(`${stack.url}/console/api/live`, { headers, signal: abort.signal });
  const snapshots: LiveSnapshot[] = [];
  let text = '';
  const waiters: (() => void)[] = [];
  const parser = createParser({
    onEvent: (message) => {
      if (message.event !== 'snapshot') return;
      snapshots.push(JSON.parse(message.data) as LiveSnapshot);
      for (const wake of waiters.splice(0)) wake();
    },
  });
  if (response.ok && response.body) {
    void (async () => {
      try {
        for await (const chunk of response.body!.pipeThrough(new TextDecoderStream())) {
          if (text.length < 200) text += chunk;
          parser.feed(chunk);
        }
      } catch {
        // aborted
      }
    })();
  } else {
    await response.body?.cancel();
  }
  return {
    status: response.status,
    head: () => text,
    snapshots,
    async until(n) {
      while (snapshots.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    close: () => abort.abort(),
  };
}

const appIdsIn = (snapshots: LiveSnapshot[]) => [...new Set(snapshots.flatMap((s) => s.apps.map((a) => a.app_id)))].sort();

beforeAll(async () => {
  buildConsole();
  stack = await startApiStack({ label: 'live-overview' });
  keyA = await stack.createApp(A);
  keyB = await stack.createApp(B);
  // B has run a turn: it is in every snapshot the admin gets, and in none an owner of A gets.
  await turn(B, keyB, 'Hello from B');
  if (HAVE_CHROMIUM) browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The number in a row's cell, as the page shows it now. */
const cell = async (page: Page, appId: string, column: 'turns' | 'active-runs') => Number(await page.locator(`tr[data-app="${appId}"] td[data-${column}]`).innerText());

describe.skipIf(!HAVE_CHROMIUM)('the live overview in a browser', () => {
  it('the admin sees every app, and a turn made meanwhile shows without a reload', async () => {
    const context = await browser!.newContext();
    // Closed even when the test fails (an open page holds one of its caller's stream slots).
    onTestFinished(() => context.close());
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, stack.url, stack.adminKey);
    await page.locator('[data-live-status="live"]').waitFor();
    await page.locator(`tr[data-app="${B}"]`).waitFor();
    expect(await page.locator(`tr[data-app="${B}"] td[data-state]`).innerText()).toBe('running');
    expect(await cell(page, B, 'turns')).toBeGreaterThanOrEqual(1);
    // A mark in the page: a reload would lose it.
    await page.evaluate('window.__sameDocument = true');
    const before = (await page.locator(`tr[data-app="${A}"]`).count()) === 0 ? 0 : await cell(page, A, 'turns');

    await turn(A, keyA, 'Hello live overview');
    await page.locator(`tr[data-app="${A}"]`).waitFor();
    await expect.poll(() => cell(page, A, 'turns'), { timeout: 15_000 }).toBeGreaterThan(before);
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    expect(await page.locator('[data-live-status]').innerText()).toBe('live');
    // One series per app in the chart's legend (the lines may lie on each other).
    expect(await page.locator('.chart canvas').count()).toBe(1);
    expect(await page.locator('.chart .u-legend .u-series').allInnerTexts()).toEqual(expect.arrayContaining([expect.stringContaining(A), expect.stringContaining(B)]));
    expect(await accessibility(page)).toEqual([]);
    expect(errors).toEqual([]);
  });

  it("an app owner sees its own app's overview live, never another app's row", async () => {
    const context = await browser!.newContext();
    // Closed even when the test fails (an open page holds one of its caller's stream slots).
    onTestFinished(() => context.close());
    const page = await context.newPage();
    const foreignRows: number[] = [];
    await signIn(page, stack.url, keyA);
    await page.locator(`tr[data-app="${A}"]`).waitFor();
    await page.evaluate('window.__sameDocument = true');
    const before = await cell(page, A, 'turns');

    await turn(A, keyA, 'Hello again');
    await expect.poll(async () => {
      foreignRows.push(await page.locator(`tr[data-app="${B}"]`).count());
      return cell(page, A, 'turns');
    }, { timeout: 15_000 }).toBeGreaterThan(before);
    expect(await page.evaluate('window.__sameDocument === true')).toBe(true);
    expect(foreignRows.every((n) => n === 0)).toBe(true);
    expect(await page.locator('tr[data-app]').count()).toBe(1);
    // Its turns per second drawn in the series colour (its own app is the chart's only series).
    await expect.poll(() => seriesPixels(page)).toBeGreaterThan(0);
    expect(await page.locator('.chart').innerHTML()).not.toContain(B);
    expect(await accessibility(page)).toEqual([]);

    // The stream itself, read in the page with the session cookie: A only, snapshot after snapshot.
    const seen = (await page.evaluate(async () => {
      const response = await fetch('/console/api/live');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while ((text.match(/^event: snapshot$/gm) ?? []).length < 3) text += (await reader.read()).value ?? '';
      await reader.cancel();
      return { status: response.status, type: response.headers.get('content-type'), text };
    })) as { status: number; type: string; text: string };
    expect(seen.status).toBe(200);
    expect(seen.type).toMatch(/^text\/event-stream/);
    const ids = [...seen.text.matchAll(/"app_id":"([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    expect(new Set(ids)).toEqual(new Set([A]));
  });
});

describe('the live stream', () => {
  it('carries the admin every app and an app key its own app only, after a retry hint', async () => {
    await turn(A, keyA, 'Hello stream');
    const admin = await openLive({ authorization: `Bearer ${stack.adminKey}` });
    const ownerA = await openLive({ authorization: `Bearer ${keyA}` });
    const ownerB = await openLive({ authorization: `Bearer ${keyB}` });
    try {
      expect([admin.status, ownerA.status, ownerB.status]).toEqual([200, 200, 200]);
      await Promise.all([admin.until(3), ownerA.until(3), ownerB.until(3)]);
      expect(admin.head()).toMatch(/^retry: \d+\n\n/);
      expect(appIdsIn(admin.snapshots)).toEqual(expect.arrayContaining([A, B]));
      expect(appIdsIn(ownerA.snapshots)).toEqual([A]);
      expect(appIdsIn(ownerB.snapshots)).toEqual([B]);
      const a = ownerA.snapshots.at(-1)!.apps[0]!;
      expect(a).toMatchObject({ app_id: A, state: 'running', throttle_factor: null });
      expect(a.turns).toBeGreaterThanOrEqual(1);
      expect(a.cost_per_hour_usd).toBeGreaterThanOrEqual(0);
    } finally {
      for (const reader of [admin, ownerA, ownerB]) reader.close();
    }
  });

  it('refuses without a credential, and a runtime token', async () => {
    expect((await stack.call('GET', '/console/api/live')).status).toBe(401);
    const session = await stack.call('POST', '/v1/sessions', { key: keyA, body: { template: 'assistant', user_id: 'u-live-2' } });
    const { runtime_token: token } = (await session.json()) as { runtime_token: string };
    const refused = await stack.call('GET', '/console/api/live', { key: token });
    expect(refused.status).toBe(403);
  });

  it('twenty open streams cost no more snapshot computations than one, and a caller holds a bounded number', async () => {
    // One stream (of B: the twenty below are the admin's and A's): how many computations it took.
    const start1 = liveSnapshotStats.computations;
    const one = await openLive({ authorization: `Bearer ${keyB}` });
    await one.until(4);
    const seqs1 = new Set(one.snapshots.map((s) => s.seq));
    const cost1 = liveSnapshotStats.computations - start1;
    one.close();
    expect(cost1).toBeLessThanOrEqual(seqs1.size + 1);

    // Twenty (the per-caller limit for the admin and for app A): the same snapshots, shared.
    const start20 = liveSnapshotStats.computations;
    const readers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => openLive({ authorization: `Bearer ${i % 2 === 0 ? stack.adminKey : keyA}` })),
    );
    try {
      expect(readers.map((r) => r.status)).toEqual(Array(20).fill(200));
      // The 11th stream of one caller is refused; another caller is not affected.
      const extra = await stack.call('GET', '/console/api/live', { key: stack.adminKey });
      expect(extra.status).toBe(429);
      expect(((await extra.json()) as { error: { code: string } }).error.code).toBe('too_many_streams_for_caller');
      await Promise.all(readers.map((r) => r.until(4)));
      const cost20 = liveSnapshotStats.computations - start20;
      const seqs20 = new Set(readers.flatMap((r) => r.snapshots.map((s) => s.seq)));
      // Every stream got snapshots of the same computations: as many computations as distinct
      // snapshots (one may be in flight), not one per stream.
      expect(cost20).toBeLessThanOrEqual(seqs20.size + 1);
      const longest = Math.max(...readers.map((r) => r.snapshots.length));
      expect(seqs20.size).toBeLessThanOrEqual(longest + 2);
      expect(cost20).toBeLessThan(20 * 4);
    } finally {
      for (const reader of readers) reader.close();
    }
    // Closed streams give their slots back: the admin can open its ten again.
    await expect.poll(async () => {
      const again = await Promise.all(Array.from({ length: 10 }, () => openLive({ authorization: `Bearer ${stack.adminKey}` })));
      for (const reader of again) reader.close();
      return again.map((r) => r.status).filter((s) => s === 200).length;
    }, { timeout: 15_000 }).toBe(10);
  });
});
