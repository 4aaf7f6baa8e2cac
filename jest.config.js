/**
 * One Jest run over every project so that coverage is reported for the whole
 * workspace. Workspace imports (`@aoe/*`) resolve to TypeScript sources, so
 * tests never need a build first; `npm run typecheck` checks the types.
 */
const projectDirs = {
  contracts: 'contracts',
  telemetry: 'libs/telemetry',
  testing: 'libs/testing',
  store: 'libs/store',
  messaging: 'libs/messaging',
  connectors: 'libs/connectors',
  engine: 'libs/engine',
  'service-kit': 'libs/service-kit',
  agents: 'libs/agents',
  planner: 'services/planner',
  optimizer: 'services/optimizer',
  dispatcher: 'services/dispatcher',
  monitor: 'services/monitor',
  recovery: 'services/recovery',
  cli: 'services/cli',
  gateway: 'services/gateway',
  'source-analysis': 'services/source-analysis',
  e2e: 'e2e',
};

/** Subpath entries (package.json `exports`), kept out of the main entry so they load only where imported. */
const subpaths = {
  '@aoe/service-kit/testing': 'libs/service-kit/src/test-services.ts',
  '@aoe/gateway/dead-letters': 'services/gateway/src/dead-letters/dead-letters.module.ts',
  '@aoe/store/pglite-worker': 'libs/store/src/pglite-worker.ts',
};

const moduleNameMapper = {
  ...Object.fromEntries(Object.entries(subpaths).map(([name, file]) => [`^${name}$`, `<rootDir>/${file}`])),
  ...Object.fromEntries(
    Object.entries(projectDirs).map(([name, dir]) => [`^@aoe/${name}$`, `<rootDir>/${dir}/src/index.ts`]),
  ),
};

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: Object.values(projectDirs).map((dir) => `<rootDir>/${dir}`),
  testMatch: ['**/src/**/*.spec.ts', '**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.base.json', diagnostics: false }],
  },
  moduleNameMapper,
  collectCoverageFrom: [
    '<rootDir>/{contracts,libs,services}/**/src/**/*.ts',
    '!**/*.spec.ts',
    '!**/index.ts',
    '!**/main.ts',
    '!**/dist/**',
  ],
  coverageReporters: ['text-summary', 'lcov'],
  coverageThreshold: { global: { lines: 80 } },
  setupFiles: ['<rootDir>/jest.setup.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
};
