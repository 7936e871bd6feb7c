import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from '../../src/project-root';
import { REPO_ROOT } from '../support/embedded-config';

it('finds the folder with package.json from the sources and from compiled output alike', () => {
  expect(projectRoot(path.join(REPO_ROOT, 'src', 'api'))).toBe(REPO_ROOT);
  expect(projectRoot(path.join(REPO_ROOT, 'dist', 'start', 'src', 'api'))).toBe(REPO_ROOT);
});

it('names the folder it started from when no package.json is above it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'no-package-'));
  try {
    expect(() => projectRoot(dir)).toThrow(`no package.json above ${dir}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
