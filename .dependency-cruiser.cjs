/**
 * The import rules of the project (issue 10), checked by `npm test` (`npm run deps`).
 * One home for each kind of code; dependencies point one way:
 *   workflows  -> workflows, activities/contracts (types), @temporalio/workflow|common
 *   activities -> activities, clients, usecases, sql, texts, lib
 *   clients    -> clients, workflows (types and names), activities/contracts, lib
 *   usecases   -> usecases, clients, sql, texts, lib
 *   bot, api   -> their own folder, usecases, clients, sql, texts, lib
 *   workers    -> workers, activities, workflows (the bundle), clients, lib
 *   sql        -> sql, lib
 *   texts      -> texts, activities/contracts (types), lib
 *   lib        -> lib
 * Production code never imports test code (test/, fakes/, *.test.ts); nothing imports scripts/
 * except scripts, bench and tests; no circular dependencies, type-only imports included.
 */
const TEST = '(^test/|^fakes/|^bench/|\\.test\\.ts$)';
const PRODUCTION = '^(workflows|activities|clients|usecases|bot|api|workers|sql|texts|lib)/';

/** A rule that `from` may import only `allowed` (paths) and npm packages. */
function onlyImports(name, comment, from, allowed) {
  return {
    name,
    comment,
    severity: 'error',
    from: { path: from, pathNot: '\\.test\\.ts$' },
    to: { pathNot: [...allowed, '^node_modules/', '^node:'], dependencyTypesNot: ['core'] },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import circles anywhere, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'production-not-to-test',
      comment: 'Production code never imports tests, test kits, fakes or benches.',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: '\\.test\\.ts$' },
      to: { path: TEST },
    },
    {
      name: 'production-not-to-scripts',
      comment: 'scripts/ are entry points and dev tooling; production code does not import them.',
      severity: 'error',
      from: { path: PRODUCTION, pathNot: '\\.test\\.ts$' },
      to: { path: '^scripts/' },
    },
    onlyImports(
      'workflows-only-workflow-code',
      'Workflows run in the deterministic sandbox: workflow code, activity contracts and @temporalio/workflow|common only.',
      '^workflows/',
      ['^workflows/', '^activities/contracts/'],
    ),
    {
      name: 'workflows-only-temporal-packages',
      comment: 'The only npm packages workflow code imports are @temporalio/workflow and @temporalio/common.',
      severity: 'error',
      from: { path: '^workflows/', pathNot: '\\.test\\.ts$' },
      to: { path: '^node_modules/', pathNot: '^node_modules/@temporalio/(workflow|common)/' },
    },
    onlyImports('lib-only-lib', 'lib/ is utilities and external-service clients: it imports only lib/.', '^lib/', ['^lib/']),
    onlyImports('sql-only-sql-and-lib', 'sql/ is the database layer.', '^sql/', ['^sql/', '^lib/']),
    onlyImports('texts-only-texts', 'Texts both bot and worker use.', '^texts/', ['^texts/', '^activities/contracts/', '^lib/']),
    onlyImports(
      'contracts-only-contracts',
      'Activity contracts are interfaces and plain types that workflows may import.',
      '^activities/contracts/',
      ['^activities/contracts/', '^lib/'],
    ),
    {
      name: 'contracts-lib-types-only',
      comment: 'A contract may name a lib type (erased at build), never import lib code into the workflow bundle.',
      severity: 'error',
      from: { path: '^activities/contracts/' },
      to: { path: '^lib/', dependencyTypesNot: ['type-only'] },
    },
    onlyImports(
      'clients-only-names-and-types',
      'clients/ starts, signals, updates and queries workflows and registers schedules.',
      '^clients/',
      ['^clients/', '^workflows/', '^activities/contracts/', '^lib/', '^sql/schemas/'],
    ),
    {
      name: 'clients-no-workflow-runtime',
      comment:
        'clients/ run in the bot, api and CLIs: workflows come in by name (contract.ts) and as types; only the pure lifecycle decisions may be imported as code.',
      severity: 'error',
      from: { path: '^clients/', pathNot: '\\.test\\.ts$' },
      to: { path: '^workflows/', pathNot: '^workflows/(contract|subscription-lifecycle)\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    onlyImports('usecases-layer', 'Use cases shared by bot, api and CLIs.', '^usecases/', [
      '^usecases/',
      '^clients/',
      '^sql/',
      '^texts/',
      '^lib/',
      '^activities/contracts/',
    ]),
    onlyImports('activities-layer', 'Activities do the I/O; they start or signal workflows only through clients/.', '^activities/', [
      '^activities/',
      '^clients/',
      '^usecases/',
      '^sql/',
      '^texts/',
      '^lib/',
    ]),
    onlyImports('bot-layer', 'The bot: features, texts, services.', '^bot/', [
      '^bot/',
      '^usecases/',
      '^clients/',
      '^sql/',
      '^texts/',
      '^lib/',
      '^activities/contracts/',
    ]),
    onlyImports('api-layer', 'The HTTP api.', '^api/', [
      '^api/',
      '^usecases/',
      '^clients/',
      '^sql/',
      '^texts/',
      '^lib/',
      '^activities/contracts/',
    ]),
    onlyImports('workers-layer', 'Worker processes.', '^workers/', [
      '^workers/',
      '^activities/',
      '^workflows/',
      '^clients/',
      '^usecases/',
      '^sql/',
      '^texts/',
      '^lib/',
    ]),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|tools|dist|\\.data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
