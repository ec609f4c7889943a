import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist', '**/node_modules', '**/data', '**/tmp', '**/coverage', '**/.nx'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      'no-console': 'error',
      // Apps never import each other; libraries are the only shared code.
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', '**/test/**/*.ts', 'tools/**/*'],
    rules: { 'no-console': 'off' },
  },
  {
    // Test-runner configuration and e2e tests share helpers from tools/testing; they are not application code.
    files: ['**/vitest.config.ts', '**/test/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off' },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
      },
    },
  },
  {
    // The demo portal runs in the browser (ES modules, no bundler).
    files: ['apps/gateway/portal/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        document: 'readonly',
        location: 'readonly',
        history: 'readonly',
        sessionStorage: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        Intl: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    // Token cryptography lives in one place: libs/security verifies, the auth server's engine issues.
    // Anything else that wants a JWT checked goes through @trustline/security. (The bench's baseline
    // fixtures, apps/bench/**/*.mjs, are the one exception: a raw-jose baseline is what they are for.)
    files: ['apps/**/*.ts', 'libs/service-runtime/**/*.ts', 'libs/relay/**/*.ts'],
    ignores: ['apps/auth-server/src/oidc/**', '**/test/**', '**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'jose', message: 'Verify tokens through @trustline/security (only it and the auth server touch JOSE).' },
            { name: 'jsonwebtoken', message: 'Verify tokens through @trustline/security (only it and the auth server touch JOSE).' },
            { name: 'passport-jwt', message: 'Use SecurityModule from @trustline/security.' },
          ],
        },
      ],
    },
  },
  {
    // Nx loads local generators as CommonJS without a build step.
    files: ['tools/workspace-plugin/src/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', console: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
