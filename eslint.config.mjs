import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Besides the recommended rules, the boundaries of the design (DESIGN.md), checked here and by
 * test/unit/boundaries.test.ts:
 * - the product (src/) imports nothing of the workspace packages (stand-ins, driver, contracts);
 * - only the jobs adapter (src/jobs/) imports bullmq;
 * - the packages import nothing of the product.
 */
const PRODUCT_OUTSIDE = ['@aag/*', '**/packages/**'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'test-artifacts/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/jobs/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'bullmq', message: 'BullMQ is used by src/jobs/ only; workflows and routes go through its adapter.' }],
          patterns: [{ group: PRODUCT_OUTSIDE, message: 'The product imports nothing of the workspace packages (stand-ins, driver, contracts).' }],
        },
      ],
    },
  },
  {
    files: ['src/jobs/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: PRODUCT_OUTSIDE, message: 'The product imports nothing of the workspace packages.' }] }],
    },
  },
  {
    files: ['packages/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^(\\.\\./)+(\\.\\./)(src|test|bench|scripts)(/|$)', message: 'The packages import nothing of the product.' }] },
      ],
    },
  },
  {
    files: ['packages/*/bin/*.js', 'bin/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
