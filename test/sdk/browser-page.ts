/**
 * The SDK as a web page loads it: each `sdk/src/*.ts` transpiled to an ES module as is (no bundler),
 * openapi-fetch's own ES module through an import map, and a page that exposes the SDK as
 * `window.sdk`. Served by Playwright's request routing at whatever origin the test chooses.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import ts from 'typescript';

const SDK_SRC = path.resolve(__dirname, '../../sdk/src');
const OPENAPI_FETCH = require.resolve('openapi-fetch').replace(/index\.cjs$/, 'index.mjs');

/** Paths under `/page/` and what each answers. */
function assets(): Map<string, { type: string; body: string }> {
  const files = new Map<string, { type: string; body: string }>();
  for (const name of fs.readdirSync(SDK_SRC).filter((file) => file.endsWith('.ts'))) {
    const { outputText } = ts.transpileModule(fs.readFileSync(path.join(SDK_SRC, name), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    });
    files.set(`/page/sdk/${name.replace(/\.ts$/, '.js')}`, { type: 'text/javascript', body: outputText });
  }
  files.set('/page/vendor/openapi-fetch.js', { type: 'text/javascript', body: fs.readFileSync(OPENAPI_FETCH, 'utf8') });
  files.set('/page/index.html', {
    type: 'text/html',
    body: [
      '<!doctype html><meta charset="utf-8"><title>Tessera SDK</title>',
      '<script type="importmap">{"imports":{"openapi-fetch":"/page/vendor/openapi-fetch.js"}}</script>',
      '<script type="module">import * as sdk from "/page/sdk/index.js"; window.sdk = sdk; window.sdkReady = true;</script>',
    ].join('\n'),
  });
  return files;
}

/** Serves the page and the SDK's modules under `<origin>/page/`; everything else goes to the network. */
export async function serveSdkPage(page: Page, origin: string): Promise<string> {
  const files = assets();
  await page.route(`${origin}/page/**`, async (route) => {
    const file = files.get(new URL(route.request().url()).pathname);
    await (file ? route.fulfill({ status: 200, contentType: file.type, body: file.body }) : route.fulfill({ status: 404, body: 'not found' }));
  });
  return `${origin}/page/index.html`;
}

/** Debian's chromium, where the setup script installs it (none: the browser tests are skipped). */
export function chromiumPath(): string | undefined {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((candidate) => fs.existsSync(candidate));
}
