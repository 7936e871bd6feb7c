import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTemplate, loadTemplates, TemplateError } from '../../src/stores/templates';

const TEMPLATES_DIR = path.resolve(__dirname, '../../templates');

const tempDirs: string[] = [];

/** A throwaway templates directory with the given files (`<name>` → file text or JSON value). */
function templatesDir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-templates-'));
  tempDirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.join(dir, name));
    const text = typeof content === 'string' ? content : JSON.stringify(content, null, 2);
    fs.writeFileSync(path.join(dir, name, 'template.json'), text);
  }
  return dir;
}

const valid = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  system_prompt: 'Be helpful.',
  model: 'gpt-4.1-mini',
  max_output_tokens: 256,
  ...extra,
});

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TemplateError);
    return error as TemplateError;
  }
  throw new Error('expected a TemplateError');
}

afterEach(() => {
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('shipped templates', () => {
  it('all load', () => {
    const templates = loadTemplates(TEMPLATES_DIR);
    expect([...templates.keys()]).toEqual(expect.arrayContaining(['assistant', 'researcher']));
  });

  it('assistant is plain chat', () => {
    const assistant = loadTemplate(TEMPLATES_DIR, 'assistant');
    expect(assistant).toMatchObject({ name: 'assistant', model: 'gpt-4.1-mini', tools: [] });
    expect(assistant.system_prompt.length).toBeGreaterThan(20);
  });

  it('researcher has every tool and four tool steps', () => {
    expect(loadTemplate(TEMPLATES_DIR, 'researcher')).toMatchObject({
      name: 'researcher',
      model: 'gpt-4.1',
      tools: ['current_time', 'calculator', 'http_get'],
      max_tool_steps: 4,
    });
  });
});

describe('loadTemplates', () => {
  it('applies defaults and returns templates by name', () => {
    const dir = templatesDir({ beta: valid('beta'), alpha: valid('alpha', { on_busy: 'reject' }) });
    const templates = loadTemplates(dir);
    expect([...templates.keys()]).toEqual(['alpha', 'beta']);
    expect(templates.get('alpha')).toMatchObject({ on_busy: 'reject', temperature: 0.7, max_tool_steps: 4, tools: [] });
  });

  it('skips directories without a template file', () => {
    const dir = templatesDir({ alpha: valid('alpha') });
    fs.mkdirSync(path.join(dir, 'notes'));
    fs.writeFileSync(path.join(dir, 'README.md'), '# templates');
    expect([...loadTemplates(dir).keys()]).toEqual(['alpha']);
  });

  it('names the file and the field of a bad value', () => {
    const dir = templatesDir({ assistant: valid('assistant', { max_tool_steps: 21 }) });
    const error = errorOf(() => loadTemplates(dir));
    expect(error.message).toMatch(/assistant[/\\]template\.json: max_tool_steps: Too big: expected number to be <=20$/);
    expect(error.file).toBe(path.join(dir, 'assistant', 'template.json'));
  });

  it('names the file of invalid JSON', () => {
    const dir = templatesDir({ broken: '{ "name": "broken", ' });
    const error = errorOf(() => loadTemplates(dir));
    expect(error.message).toContain(path.join(dir, 'broken', 'template.json'));
    expect(error.message).toContain('invalid JSON');
  });

  it('rejects unknown fields by name', () => {
    const dir = templatesDir({ alpha: valid('alpha', { max_tokens: 100 }) });
    expect(errorOf(() => loadTemplates(dir)).message).toMatch(/alpha[/\\]template\.json: max_tokens: unknown field$/);
  });

  it('requires the name to match the directory', () => {
    const dir = templatesDir({ alpha: valid('beta') });
    expect(errorOf(() => loadTemplates(dir)).message).toMatch(/alpha[/\\]template\.json: name: must equal the directory name 'alpha'/);
  });

  it('shows a file inside the working directory by its relative path', () => {
    const root = fs.realpathSync(templatesDir({})); // cwd is reported as a real path
    fs.mkdirSync(path.join(root, 'templates'));
    fs.mkdirSync(path.join(root, 'templates', 'assistant'));
    fs.writeFileSync(path.join(root, 'templates', 'assistant', 'template.json'), JSON.stringify(valid('assistant', { max_tool_steps: 21 })));
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect(errorOf(() => loadTemplates(path.join(root, 'templates'))).message).toBe(
        `${path.join('templates', 'assistant', 'template.json')}: max_tool_steps: Too big: expected number to be <=20`,
      );
    } finally {
      process.chdir(cwd);
    }
  });

  it('fails clearly when the directory is missing', () => {
    expect(errorOf(() => loadTemplates(path.join(os.tmpdir(), 'tessera-no-such-dir'))).message).toContain('cannot read template directory');
  });
});

describe('loadTemplate', () => {
  it('loads one template', () => {
    const dir = templatesDir({ alpha: valid('alpha'), broken: '{' });
    // Only the requested file is read: a broken neighbour does not matter.
    expect(loadTemplate(dir, 'alpha').name).toBe('alpha');
  });

  it('lists the known names for an unknown one', () => {
    const dir = templatesDir({ alpha: valid('alpha'), beta: valid('beta') });
    expect(errorOf(() => loadTemplate(dir, 'gamma')).message).toBe("unknown template 'gamma'; known templates: alpha, beta");
  });

  it.each(['../templates/assistant', '..', 'assistant/../researcher', '/etc/passwd', 'Assistant', '', 'a\0b', 'assistant%2f..'])(
    'refuses the name %j before touching the filesystem',
    (name) => {
      // The directory does not exist: any filesystem access would produce a different error.
      const error = errorOf(() => loadTemplate(path.join(os.tmpdir(), 'tessera-no-such-dir'), name));
      expect(error.message).toMatch(/^invalid template name/);
    },
  );

  it('reports a bad template by file and field', () => {
    const dir = templatesDir({ alpha: valid('alpha', { tools: ['calculator', 'shell'] }) });
    expect(errorOf(() => loadTemplate(dir, 'alpha')).message).toMatch(/alpha[/\\]template\.json: tools\[1\]: Invalid option/);
  });
});
