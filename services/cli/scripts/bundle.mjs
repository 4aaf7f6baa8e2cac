// Bundles the CLI's tsc output (dist/src/main.js) into one CommonJS module,
// dist/aoe.cjs, so that start-up reads and compiles one file instead of some
// 4,000 modules (docs/performance.md, "CLI start-up"). The TypeScript is not
// bundled: esbuild cannot emit the decorator metadata Nest needs; tsc did.
//
// The module's body is written wrapped as Node wraps a module, as a function
// expression (MODULE_WRAPPER): bin/run-bundle.js compiles the file's text as
// it is and calls the function. `require()` of the file would run nothing.
//
//   node services/cli/scripts/bundle.mjs [outfile]   (npm run build runs it after tsc -b)
//
// Also writes dist/aoe.bundle.json: the build-info files of the projects the
// bundle holds, so bin/aoe.js runs dist/src/main.js instead of a bundle that
// an edit + `tsc -b` has left behind.
import { build } from 'esbuild';
import { renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ROOT = resolve(CLI_DIR, '../..');
const ENTRY = join(CLI_DIR, 'dist/src/main.js');
const OUTFILE = resolve(process.argv[2] ?? join(CLI_DIR, 'dist/aoe.cjs'));

/**
 * Left to Node's require at run time, with why:
 * - they read files next to themselves (wasm, data, .proto) or start workers
 *   by path: PGlite (the store opens it in a worker by require.resolve),
 *   gRPC (channelz and xDS load their .proto from __dirname), pino (its
 *   transports run in a worker thread from a file path);
 * - optional packages that are not installed are added by `optionalMissing`.
 */
const EXTERNAL = [
  '@electric-sql/pglite',
  '@electric-sql/pglite/*',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'pino',
  'pino/*',
  'thread-stream',
  'pino-pretty',
  'pino-abstract-transport',
];

/**
 * Nest, pg, ws and others `require` optional packages inside try/catch (Kafka,
 * MQTT, Redis, class-validator, pg-native, …). A bare import that Node cannot
 * resolve from its importer stays a run-time `require`, which fails there as
 * it would unbundled.
 */
function optionalMissing(missing) {
  return {
    name: 'optional-missing',
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path.startsWith('node:') || !args.importer) return undefined;
        try {
          createRequire(args.importer).resolve(args.path);
          return undefined;
        } catch (error) {
          if (error.code !== 'MODULE_NOT_FOUND') return undefined;
          missing.add(args.path);
          return { path: args.path, external: true };
        }
      });
    },
  };
}

/**
 * esbuild's charset=ascii escapes strings, templates and identifiers but not
 * regular expression literals; \uXXXX means the same code unit there, with or
 * without the u flag. An ASCII file is read as latin1, which is 3× faster than
 * decoding UTF-8 (about 25 ms for this file).
 */
function escapeNonAscii(text) {
  return text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The tsconfig.tsbuildinfo of every workspace project whose output is in the bundle. */
function buildInfoFiles(inputs) {
  const projects = new Set();
  for (const input of Object.keys(inputs)) {
    const match = /^(?:(.+?)\/)?dist\/src\//.exec(input.replace(/^(?:\.\.\/)+/, ''));
    if (match && !input.includes('node_modules/')) projects.add(match[1] ?? '');
  }
  return [...projects].map((project) => join(project, 'dist', 'tsconfig.tsbuildinfo')).sort();
}

const missing = new Set();
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: [ENTRY],
  outfile: OUTFILE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Resolve as Node does: `main` and the `require` condition, not ESM builds.
  mainFields: ['main'],
  conditions: [],
  // import() becomes require(), which loads ES modules too on Node >= 20.19: a
  // script compiled with vm.Script and a code cache has no import() (Node 20).
  supported: { 'dynamic-import': false },
  external: EXTERNAL,
  plugins: [optionalMissing(missing)],
  // Error names, Nest's class names and stack traces keep their identifiers.
  keepNames: true,
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  charset: 'ascii',
  metafile: true,
  write: false,
  logLevel: 'warning',
});

/** What Node wraps a CommonJS module's body in; bin/run-bundle.js calls the function with the same arguments. */
const MODULE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) {', '\n})'];

/** Through a rename: a running `aoe` never reads a half-written bundle. */
function writeAtomically(file, text) {
  writeFileSync(`${file}.${process.pid}`, text);
  renameSync(`${file}.${process.pid}`, file);
}

const code = MODULE_WRAPPER.join(escapeNonAscii(result.outputFiles[0].text));
writeAtomically(
  OUTFILE.replace(/\.cjs$/, '.bundle.json'),
  `${JSON.stringify({ buildInfo: buildInfoFiles(result.metafile.inputs).map((file) => relative(dirname(OUTFILE), join(ROOT, file))) }, null, 2)}\n`,
);
writeAtomically(OUTFILE, code);
console.log(
  `${relative(ROOT, OUTFILE)}: ${Object.keys(result.metafile.inputs).length} modules, ${(code.length / 1e6).toFixed(1)} MB; ` +
    `external: ${[...EXTERNAL, ...[...missing].sort()].join(', ')}`,
);
