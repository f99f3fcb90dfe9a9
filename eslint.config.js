import tseslint from 'typescript-eslint';

export default tseslint.config(
  // build contexts of the Dockerfile corpus are data (the apps inside the test images), not project code
  { ignores: ['node_modules/**', 'ui/dist/**', 'test/build/corpus/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
