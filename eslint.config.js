// ESLint flat config. `npm test` runs it with --max-warnings=0, so a warning fails CI too.
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', 'tools/**', 'coverage/**', 'dist/**'] },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's describe/it return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-deprecated': 'error',
      'no-console': 'off',
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no I/O
    // libraries, and activities only as types (house style 1; temporal-patterns 8).
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.filter((name) => !['assert', 'node:assert', 'url', 'node:url', 'util', 'node:util'].includes(name)),
            'slonik',
            'pg',
            'fastify',
            'grammy',
            'qrcode',
            'pino',
            '@temporalio/client',
            '@temporalio/worker',
            '@temporalio/activity',
          ].map((name) => ({ name, message: 'workflows/ must stay deterministic: do I/O in activities/.' })),
          patterns: [
            {
              group: ['../activities/*', '../activities', '../lib/db/*', '../sql/*', '../api/*', '../bot/*', '../workers/*'],
              allowTypeImports: true,
              message: 'workflows/ may import activities and I/O modules as types only (import type).',
            },
          ],
        },
      ],
    },
  },
);
