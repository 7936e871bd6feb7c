/**
 * The SDK's types are generated from the API's own OpenAPI document: `sdk/openapi.json` must be the
 * document the API builds now, and `sdk/src/schema.ts` what openapi-typescript makes of it. A route
 * or schema changed without `npm run sdk:generate` fails here. And the SDK stays a package of its
 * own that runs in browsers: it imports only its own modules and openapi-fetch (nothing from src/,
 * nothing Node-only), and declares what it imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_FILE, exportDocument, generateSchema, SCHEMA_FILE, SDK_DIR } from '../../scripts/openapi-export';

const REGENERATE = 'the API changed: run `npm run sdk:generate` and commit sdk/openapi.json and sdk/src/schema.ts';

/** The first line where two texts differ, to point at the change. */
function firstDifference(was: string, now: string): string {
  const [a, b] = [was.split('\n'), now.split('\n')];
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}: was ${JSON.stringify(a[at]?.trim() ?? '(end)')}, now ${JSON.stringify(b[at]?.trim() ?? '(end)')}`;
}

function operationsOf(documentJson: string): string[] {
  const document = JSON.parse(documentJson) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`));
}

describe('generated SDK types', () => {
  it('sdk/openapi.json is the document the API builds now, and schema.ts is generated from it', { timeout: 120_000 }, async () => {
    const current = await exportDocument();
    const committed = fs.readFileSync(DOCUMENT_FILE, 'utf8');
    if (committed !== current) {
      const [was, now] = [operationsOf(committed), operationsOf(current)];
      const added = now.filter((op) => !was.includes(op));
      const removed = was.filter((op) => !now.includes(op));
      expect.fail(`${REGENERATE} (operations added: ${added.join(', ') || 'none'}; removed: ${removed.join(', ') || 'none'}; first change at ${firstDifference(committed, current)})`);
    }
    expect(current.endsWith('}\n')).toBe(true);
    const schema = await generateSchema(current);
    const committedSchema = fs.readFileSync(SCHEMA_FILE, 'utf8');
    if (committedSchema !== schema) expect.fail(`${REGENERATE} (sdk/src/schema.ts, first change at ${firstDifference(committedSchema, schema)})`);
  });

  it('covers the routes the clients call', () => {
    const operations = operationsOf(fs.readFileSync(DOCUMENT_FILE, 'utf8'));
    for (const operation of [
      'POST /v1/sessions',
      'GET /v1/chats',
      'GET /v1/chats/{chat_id}',
      'POST /v1/chats/{chat_id}/messages',
      'GET /v1/chats/{chat_id}/messages',
      'GET /v1/chats/{chat_id}/events',
      'GET /v1/chats/{chat_id}/ws',
      'POST /v1/chats/{chat_id}/cancel',
      'POST /v1/chats/{chat_id}/close',
      'GET /v1/packs',
      'POST /v1/packs/{pack}/runs',
      'GET /v1/pack-runs/{run_id}',
      'GET /v1/analytics/cost',
    ]) {
      expect(operations).toContain(operation);
    }
  });
});

describe('the SDK package', () => {
  const sources = fs.readdirSync(path.join(SDK_DIR, 'src')).filter((name) => name.endsWith('.ts'));
  const manifest = JSON.parse(fs.readFileSync(path.join(SDK_DIR, 'package.json'), 'utf8')) as {
    name: string;
    type: string;
    dependencies: Record<string, string>;
    exports: Record<string, unknown>;
  };

  it('imports only its own modules and its declared dependencies', () => {
    expect(sources).toContain('index.ts');
    for (const name of sources) {
      const info = ts.preProcessFile(fs.readFileSync(path.join(SDK_DIR, 'src', name), 'utf8'), true, true);
      for (const { fileName } of info.importedFiles) {
        if (fileName.startsWith('.')) {
          // Its own modules only (ESM: with the .js extension), never ../ into the repository.
          expect(fileName, `${name} imports ${fileName}`).toMatch(/^\.\/[\w-]+\.js$/);
          expect(fs.existsSync(path.join(SDK_DIR, 'src', fileName.replace(/\.js$/, '.ts'))), `${name} imports ${fileName}`).toBe(true);
        } else {
          expect(Object.keys(manifest.dependencies), `${name} imports ${fileName}`).toContain(fileName);
        }
      }
    }
  });

  it('is @tessera/client, an ES module pinned to the openapi-fetch the repository uses', () => {
    const root = JSON.parse(fs.readFileSync(path.join(SDK_DIR, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.name).toBe('@tessera/client');
    expect(manifest.type).toBe('module');
    expect(manifest.exports['.']).toBeDefined();
    expect(manifest.dependencies).toEqual({ 'openapi-fetch': root.dependencies['openapi-fetch'] });
  });
});
