// Lint rules that matter for correctness: workflow code must stay deterministic (Temporal replays it), and no
// promise may float. Style is left to the formatter-free conventions in CONTRIBUTING.md.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'crypto', 'child_process', 'http', 'https', 'net', 'dns', 'worker_threads', 'stream', 'zlib', 'timers', 'process', 'util', 'events', 'url', 'readline', 'cluster', 'perf_hooks', 'v8', 'vm'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.hone/**', 'lib/db/generated/**', 'apps/web/dist/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // The Temporal sandbox: workflows see activities only as types and may not touch I/O, clocks or randomness
    // outside the SDK's deterministic replacements.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...nodeBuiltins.flatMap((n) => [{ name: n, message: 'Node built-ins are not deterministic: not in workflow code.' }, { name: `node:${n}`, message: 'Node built-ins are not deterministic: not in workflow code.' }]),
          { name: '@prisma/client', message: 'Workflows do not touch the database; call an activity.' },
          { name: '@temporalio/activity', message: 'Activity API is not available in workflows.' },
          { name: '@temporalio/worker', message: 'Worker API is not available in workflows.' },
          { name: '@temporalio/client', message: 'Client API is not available in workflows.' },
        ],
        patterns: [
          { group: ['**/engine', '**/engine/**'], message: 'The ML engine runs in activities, never in workflows.' },
          { group: ['**/lib/db/**', '**/lib/artifacts/**', '**/lib/audit/**', '**/lib/domain/**', '**/lib/config/**'], message: 'Stores and config are activity-side.' },
          { group: ['**/activities', '**/activities/**'], importNamePattern: '^(?!type)', allowTypeImports: true, message: 'Import activities as types only: import type * as activities from ...' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop.' },
        { name: 'process', message: 'No process state in workflows; pass values as arguments.' },
      ],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: 'Seed randomness through workflow arguments (the SDK replaces Math.random, but make it explicit).' },
      ],
    },
  },
);
