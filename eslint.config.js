// @ts-check
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The product: what ships. Tests and scripts drive it (and the real clients, against emulators). */
const PRODUCT = ['shared/**/*.ts', 'orchestrator/**/*.ts', 'job-runner/**/*.ts'];

/**
 * Each Google client and the one adapter allowed to import it (DESIGN §1:
 * adapters are chosen once, in a composition root; nothing else knows a client).
 */
const GOOGLE_CLIENT_ADAPTERS = {
  '@google-cloud/storage': 'shared/store/gcs-*.ts',
  '@google-cloud/run': 'orchestrator/launchers/cloudrun-launcher.ts',
  'google-auth-library': 'orchestrator/launchers/cloudrun-launcher.ts',
  '@google-cloud/pubsub': 'shared/events-bus/pubsub-publisher.ts',
  '@google/genai': 'shared/llm/gemini-model.ts',
};
const GOOGLE_CLIENTS = Object.keys(GOOGLE_CLIENT_ADAPTERS);
const ADAPTERS = [...new Set(Object.values(GOOGLE_CLIENT_ADAPTERS))];

/** `no-restricted-imports` forbidding `clients` (and their subpaths), each naming its adapter. */
const forbidClients = (/** @type {string[]} */ clients) => ['error', {
  patterns: clients.map((c) => ({
    group: [c, `${c}/*`],
    message: `a Google client is imported only by its adapter (${GOOGLE_CLIENT_ADAPTERS[/** @type {keyof typeof GOOGLE_CLIENT_ADAPTERS} */ (c)]}).`,
  })),
}];

/** Folder boundaries of DESIGN §1, by resolved path: `from` may not be imported inside `target`. */
const BOUNDARIES = [
  { target: 'orchestrator', from: 'job-runner', message: 'orchestrator/ and job-runner/ never import each other: the orchestrator launches the job as a process or a Cloud Run execution.' },
  { target: 'job-runner', from: 'orchestrator', message: 'orchestrator/ and job-runner/ never import each other: the job is launched, it does not call back.' },
  { target: 'job-runner/nodes', from: 'shared/store', message: 'nodes return outputs and never touch the store: the runner persists them.' },
  {
    target: 'shared/store',
    from: ['orchestrator', 'job-runner', 'shared/events-bus', 'shared/run-log', 'scripts'],
    message: 'shared/store is an adapter layer: it knows nothing of its callers.',
  },
  { target: 'shared/llm', from: 'job-runner', message: 'model adapters know nothing of the pipeline that calls them.' },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**', 'dist/**', 'storage/**', '.tmp/**', 'scripts/bench/peers/**', 'orchestrator/public/**',
      // Planted violations that test/unit/lint-rules.unit.test.ts lints on purpose.
      'test/fixtures/lint-rules/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: {
      // Imports name real files (`./x.ts`), so plain Node resolution finds them; no TS resolver needed.
      'import-x/resolver-next': [createNodeResolver()],
      // Modules import-x may open to follow a cycle; they are parsed with this block's parser, without types.
      'import-x/extensions': ['.ts', '.js', '.mjs', '.cjs'],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      // Type-only imports are erased (verbatimModuleSyntax) and are not counted by the rule.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': ['error', {
        basePath: import.meta.dirname,
        zones: BOUNDARIES.map(({ target, from, message }) => ({ target, from, message })),
      }],
    },
  },
  {
    files: PRODUCT,
    rules: {
      // Warn while long functions are being split; to become an error.
      'max-lines-per-function': ['warn', { max: 120, skipBlankLines: true, skipComments: true }],
      // Adapters are loaded lazily by loading the adapter module (from-config.ts), never a client directly,
      // so a dynamic import cannot slip a client past `no-restricted-imports`.
      'no-restricted-syntax': ['error', {
        selector: `ImportExpression[source.value=/^(${GOOGLE_CLIENTS.map((c) => c.replace(/[/]/g, '\\/')).join('|')})/]`,
        message: 'import a Google client statically, in its adapter; load the adapter lazily instead.',
      }],
    },
  },
  {
    // Product code outside the adapters (and outside the core, which has its own stricter list below).
    files: PRODUCT,
    ignores: ['shared/domain/**', ...ADAPTERS],
    rules: { 'no-restricted-imports': forbidClients(GOOGLE_CLIENTS) },
  },
  ...ADAPTERS.map((adapter) => ({
    files: [adapter],
    rules: {
      'no-restricted-imports': forbidClients(GOOGLE_CLIENTS.filter((c) => GOOGLE_CLIENT_ADAPTERS[/** @type {keyof typeof GOOGLE_CLIENT_ADAPTERS} */ (c)] !== adapter)),
    },
  })),
  {
    // The core is pure: time and ids arrive as arguments, and nothing here may do I/O.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto'], message: 'shared/domain is pure: no I/O imports.' },
          { group: ['@google-cloud/*', '@google/*', 'google-auth-library', 'express', 'pino', 'uuid'], message: 'shared/domain is pure: adapters live outside it.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'Date', message: 'shared/domain takes time as an argument.' },
        { name: 'setTimeout', message: 'shared/domain does no scheduling.' },
      ],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'shared/domain takes randomness as an argument.' }],
    },
  },
  {
    // CommonJS is used only where a tool requires it (mocha reporters).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', process: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Scripts, tests and benchmarks print to the terminal on purpose.
    files: ['scripts/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
);
