// The walls between rooms (docs/architecture.md), checked by `npm run lint`:
// a lib is used through its index.ts only, nothing depends on an app, and no file takes part in a cycle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle means two rooms (or two files) cannot change or be understood apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'lib-through-its-index',
      severity: 'error',
      comment: "Another room's files are reached through its index.ts (`@opendsp/<lib>`), never directly.",
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'app-through-lib-index',
      severity: 'error',
      comment: 'Apps use a lib through its index.ts (`@opendsp/<lib>`), never its files.',
      from: { path: '^apps/' },
      to: { path: '^libs/[^/]+/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'no-lib-imports-an-app',
      severity: 'error',
      comment: 'Libs are the building blocks; an app is assembled from them, never the other way round.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'app-through-app-index',
      severity: 'error',
      comment: 'An app that embeds another (npm start runs the sandbox beside the platform) uses its src/index.ts only.',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: ['^apps/$1/', '^apps/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'no-product-code-imports-tests',
      severity: 'error',
      comment: 'Test helpers stay out of what ships; only specs may use them.',
      from: { path: '^(apps|libs)/', pathNot: '\\.spec\\.ts$' },
      to: { path: '^test/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['node_modules', '(^|/)dist/', '^\\.dist/', '^\\.test-build/', '^\\.bench-build/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
