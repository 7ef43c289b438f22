// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', '.dist/', 'node_modules/', 'data/', 'coverage/', 'test-artifacts/', '.test-build/', '.bench-build/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Only configuration loaders may read the environment (see libs/config).
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Inject DspConfig/SandboxConfig instead; only entry points and libs/config read process.env.',
        },
      ],
    },
  },
  {
    files: [
      'apps/*/src/main.ts',
      'apps/dsp/src/cli/*.ts',
      'apps/dsp/src/local/start-local.ts',
      'test/**/*.ts',
      'bench/**/*.ts',
      '**/*.spec.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  // dependency-cruiser reads its configuration as CommonJS.
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } } },
);
