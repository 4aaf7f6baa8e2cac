import nodeModule from 'node:module';

/** PostgreSQL type ids whose values PGlite turns into Date objects. */
const TIMESTAMP_OIDS = [1082, 1114, 1184];

interface NodeModuleLoader {
  _load(request: string, parent: null, isMain: boolean): unknown;
}

interface PgliteModule {
  PGlite: { create(options?: Record<string, unknown>): Promise<unknown> };
}

/**
 * `@electric-sql/pglite` as Jest can run it. Its Emscripten loader uses dynamic
 * `import()`, which Jest's module sandbox refuses unless Node runs with
 * --experimental-vm-modules; so load it with Node's own loader instead. It then
 * lives in Node's realm, where `Date` is not the test's `Date`: PGlite is given
 * date parsers created here, so `instanceof Date` (and zod's z.date()) hold.
 *
 * Use it in a test file that opens PGlite (directly or through a library):
 *   jest.mock('@electric-sql/pglite', () => jest.requireActual('@aoe/testing').pgliteForJest());
 */
export function pgliteForJest(): PgliteModule {
  // Module._load is Node's CommonJS loader itself, which Jest does not wrap.
  const loader = nodeModule as unknown as NodeModuleLoader;
  const native = loader._load(require.resolve('@electric-sql/pglite'), null, false) as PgliteModule;
  const parsers = Object.fromEntries(TIMESTAMP_OIDS.map((oid) => [oid, (value: string) => new Date(value)]));
  return {
    ...native,
    PGlite: {
      create: (options: Record<string, unknown> = {}) =>
        native.PGlite.create({ ...options, parsers: { ...parsers, ...(options.parsers as object | undefined) } }),
    },
  };
}
