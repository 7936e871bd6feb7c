// Lint rules that keep Tessera's architecture honest: workflow code stays deterministic, promises
// are never dropped, type-only imports are marked, and modules do not import each other in cycles.
import path from 'node:path';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

const root = import.meta.dirname;
const inside = (file, dir) => {
  const rel = path.relative(path.join(root, dir), file);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
};

/** Workflows may import only @temporalio/workflow (and common), src/domain, other workflow modules,
 * and *types* from src/activities: anything else could bring I/O or non-determinism into replay. */
const workflowImports = {
  meta: { type: 'problem', schema: [], messages: { bad: '{{why}}' } },
  create(context) {
    const file = context.filename;
    // The tracing interceptors module (bundled only when tracing is on) may use OpenTelemetry's API
    // and Temporal's OpenTelemetry workflow interceptors, which are made for the workflow sandbox.
    const tracingModule = inside(file, 'src/workflows/tracing-interceptors.ts');
    const check = (node, source, typeOnly) => {
      if (source === '@temporalio/workflow' || source === '@temporalio/common') return;
      if (tracingModule && (source === '@opentelemetry/api' || source === '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')) return;
      if (!source.startsWith('.')) {
        context.report({ node, messageId: 'bad', data: { why: `workflow code may not import '${source}'` } });
        return;
      }
      const target = path.resolve(path.dirname(file), source);
      if (inside(target, 'src/workflows') || inside(target, 'src/domain')) return;
      if (typeOnly && inside(target, 'src/activities')) return;
      context.report({
        node,
        messageId: 'bad',
        data: { why: `workflow code may import only src/domain, src/workflows and types from src/activities, not '${source}'` },
      });
    };
    return {
      ImportDeclaration(node) {
        const typeOnly = node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type'));
        check(node, node.source.value, typeOnly);
      },
      ExportNamedDeclaration(node) {
        if (node.source) check(node, node.source.value, node.exportKind === 'type');
      },
      ExportAllDeclaration(node) {
        check(node, node.source.value, node.exportKind === 'type');
      },
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') {
          context.report({ node, messageId: 'bad', data: { why: 'workflow code may not use require()' } });
        }
      },
    };
  },
};

/** Production code never reaches into the embedded launcher (src/dev: generated secrets, child
 * services), and activities never import workflow modules: they start workflows through the
 * signature types of the workflow contracts (src/workflows/contract.ts, ops-contract.ts). */
const layerImports = {
  meta: { type: 'problem', schema: [], messages: { bad: '{{why}}' } },
  create(context) {
    const file = context.filename;
    const fromActivities = inside(file, 'src/activities');
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const target = path.resolve(path.dirname(file), source);
      if (inside(target, 'src/dev')) {
        context.report({ node, messageId: 'bad', data: { why: `only src/dev may import src/dev ('${source}')` } });
      } else if (fromActivities && inside(target, 'src/workflows') && !/^src\/workflows\/(ops-)?contract(\.ts)?$/.test(path.relative(root, target))) {
        context.report({ node, messageId: 'bad', data: { why: `activities may import only the workflow contracts from src/workflows, not '${source}'` } });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/', 'tools/'] },
  ...tseslint.configs.recommended,
  {
    // console/ (the browser console, Preact) is checked with its own tsconfig (console/tsconfig.json).
    files: ['**/*.ts', 'console/**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: root } },
    plugins: { 'import-x': importX, tessera: { rules: { 'workflow-imports': workflowImports, 'layer-imports': layerImports } } },
    settings: { 'import-x/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.json'] } } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: { 'tessera/workflow-imports': 'error' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/dev/**'],
    rules: { 'tessera/layer-imports': 'error' },
  },
  {
    // Only the config module reads the environment; everything else gets settings passed in.
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'read settings through src/config.ts' }],
    },
  },
);
