// ESLint for what tsc cannot see: promises that are never awaited (a rejected one is lost, or a
// write finishes after its transaction), awaits on things that are not promises, promises passed
// where a plain callback is expected, == comparisons and `any`. Unused code and type-only imports
// are tsc's (noUnusedLocals, verbatimModuleSyntax, so no-unused-vars and consistent-type-imports
// are left off); style is not linted. Control characters in regular expressions are deliberate
// here (terminal-safety filters and their tests), so no-control-regex stays off and the
// disable comments that name it are not reported.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', '.tmp/**', '.cache/**', 'assets/**', 'docs/**', '**/*.js', '**/*.cjs', '**/*.mjs'],
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        // Type information from the same tsconfig as `tsc --noEmit` (src, test, scripts).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/await-thenable': 'error',
      // A promise where a plain callback or a condition is expected: its rejection would be lost.
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
);
