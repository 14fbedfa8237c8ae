import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The floor plan's boundaries (docs/architecture.md), held by lint rather than good intentions.
 * Imports are relative, so each rule forbids the paths that would climb into a layer above.
 */
const APIS = ['jelou', 'plazbot', 'chatwoot', 'scim', 'admin'];
const COMPOSITION = ['cli', 'app', 'main', 'services', 'demo', 'housekeeping', 'workers'];
const forbid = (files, regex, message) => ({
  files,
  ignores: ['**/*.test.ts'],
  rules: { 'no-restricted-imports': ['error', { patterns: [{ regex, message }] }] },
});
const boundaries = [
  // store/ sits at the bottom: schema, migrations, single-statement queries. It imports nothing above it.
  forbid(['src/store/*.ts'], '^\\.\\./', 'store/ imports nothing above the store'),
  forbid(['src/store/*/**/*.ts'], '^\\.\\./\\.\\./', 'store/ imports nothing above the store'),
  // infra/ is plumbing: no domain, no API, no composition.
  forbid(['src/infra/**/*.ts'], `^\\.\\./(identity|apis|mail|events|import|${COMPOSITION.join('|')})(/|\\.js$)`, 'infra/ imports only store/ and other infra'),
  // The kernel, mail, events and import import no API slice and not the composition root.
  ...['identity', 'mail', 'events', 'import'].map((dir) =>
    forbid([`src/${dir}/**/*.ts`], `^(\\.\\./)+(apis|${COMPOSITION.join('|')})(/|\\.js$)`, `${dir}/ imports no API slice and not the composition root`),
  ),
  // An API slice imports no other slice (apis/shared is for what they share), and not the composition root.
  ...APIS.map((api) =>
    forbid(
      [`src/apis/${api}/**/*.ts`],
      `^(\\.\\./)+(${APIS.filter((a) => a !== api).join('|')}|${COMPOSITION.join('|')})(/|\\.js$)`,
      `apis/${api} imports no other API slice and not the composition root`,
    ),
  ),
  forbid(['src/apis/shared/**/*.ts'], `^(\\.\\./)+(${APIS.join('|')}|${COMPOSITION.join('|')})(/|\\.js$)`, 'apis/shared imports no API slice'),
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'data/', '.node24/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // Fastify plugins and hooks are async by contract, with or without an await inside.
      '@typescript-eslint/require-await': 'off',
    },
  },
  ...boundaries,
  {
    // Tests read reply bodies as `any` on purpose: they assert on what a client sees.
    files: ['test/**/*.ts', '**/*.test.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
