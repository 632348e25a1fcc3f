// Lint rules: typescript-eslint with type information, plus the security lessons we keep.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'extension/.output/**',
      'extension/.wxt/**',
      'dist/**',
      'data/**',
      'bin/**',
      'scripts/**',
      '**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A dropped promise in a service worker is a silent failure.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object, not an enum.' },
      ],
    },
  },
  {
    // shared/ is imported by the extension and the relay: no Node, no browser APIs.
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'shared/ must run in the browser too.' },
            {
              group: ['**/server/**', '**/extension/**', '**/cli/**'],
              message: 'shared/ depends on nothing above it.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['server/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/extension/**'],
              message: 'server/ and extension/ never import each other.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['extension/**/*.ts', 'extension/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/server/**', '**/cli/**'],
              message: 'extension/ never imports server/ or cli/.',
            },
          ],
        },
      ],
    },
  },
);
