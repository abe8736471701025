// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'storage/**', '.tmp/**', 'scripts/bench/peers/**', 'orchestrator/public/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // The core is pure: time and ids arrive as arguments, and nothing here may do I/O.
    files: ['shared/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'child_process', 'http', 'https', 'net', 'crypto'], message: 'shared/domain is pure: no I/O imports.' },
          { group: ['@google-cloud/*', '@google/*', 'express', 'pino', 'uuid'], message: 'shared/domain is pure: adapters live outside it.' },
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
