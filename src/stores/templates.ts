/**
 * Reads chat templates from `<dir>/<name>/template.json`. Every error names the file and the field,
 * so an operator can fix a bad template from the message alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatTemplateIssues, isTemplateName, parseChatTemplate, type ChatTemplate } from '../domain/templates';

const TEMPLATE_FILE = 'template.json';

export class TemplateError extends Error {
  constructor(
    message: string,
    /** The file at fault, when there is one. */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Every template under `dir`, by name (sorted). Throws `TemplateError` on the first bad file. */
export function loadTemplates(dir: string): Map<string, ChatTemplate> {
  const templates = new Map<string, ChatTemplate>();
  for (const name of templateDirectories(dir)) templates.set(name, readTemplateFile(dir, name));
  return templates;
}

/** One template by name. Unknown or malformed names throw `TemplateError`. */
export function loadTemplate(dir: string, name: string): ChatTemplate {
  // Checked before any path is built: a slug cannot climb out of `dir`.
  if (!isTemplateName(name)) {
    throw new TemplateError(`invalid template name ${JSON.stringify(name)}: must be a lowercase slug (a-z, 0-9, dashes)`);
  }
  if (!fs.existsSync(templateFile(dir, name))) {
    const known = templateDirectories(dir);
    throw new TemplateError(`unknown template '${name}'; known templates: ${known.length > 0 ? known.join(', ') : '(none)'}`);
  }
  return readTemplateFile(dir, name);
}

/** Names of the subdirectories of `dir` that hold a template file. */
function templateDirectories(dir: string): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (error) {
    throw new TemplateError(`cannot read template directory ${displayPath(dir)}: ${messageOf(error)}`);
  }
  return entries
    .filter((entry) => entry.isDirectory() && fs.existsSync(templateFile(dir, entry.name)))
    .map((entry) => entry.name)
    .sort();
}

function readTemplateFile(dir: string, name: string): ChatTemplate {
  const file = templateFile(dir, name);
  const shown = displayPath(file);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const problem = error instanceof SyntaxError ? `invalid JSON: ${error.message}` : messageOf(error);
    throw new TemplateError(`${shown}: ${problem}`, file);
  }
  const parsed = parseChatTemplate(json, name);
  if (!parsed.ok) throw new TemplateError(`${shown}: ${formatTemplateIssues(parsed.issues)}`, file);
  return parsed.template;
}

function templateFile(dir: string, name: string): string {
  return path.join(dir, name, TEMPLATE_FILE);
}

/** Relative to the working directory when inside it (`templates/x/template.json`), else absolute. */
function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : path.resolve(file);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
