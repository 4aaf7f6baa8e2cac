'use strict';
/*
 * Runs the bundle as Node would run a CommonJS module, but compiled through
 * vm.Script with a V8 code cache: V8 then skips parsing the 10 MB file and
 * compiling the functions the last run of the same command compiled (Node 20
 * has no module.enableCompileCache). The cache lives in dist/v8-cache/ (see
 * cacheDirFor), one file per command (see cacheName), named after the bundle's
 * size and mtime; a missing or rejected one is (re)written when the command
 * exits with 0. Any failure with the cache falls back to compiling without it.
 *
 * The bundle file is a module body already wrapped as Node wraps one,
 * `(function (exports, require, module, __filename, __dirname) {…})`
 * (scripts/bundle.mjs writes it so): the script is then the file's text as
 * read, where wrapping it here would make V8 copy 10 MB more into one string.
 */
const { isAscii } = require('node:buffer');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const Module = require('node:module');
const os = require('node:os');
const path = require('node:path');
const v8 = require('node:v8');
const vm = require('node:vm');

/**
 * The code cache's name for a command line: the command, and for the commands
 * that read a source or load a target, the kinds of both (`ingest-file-postgres`).
 * A cache holds what the run that made it compiled: an ingest into the
 * warehouse compiles none of the PostgreSQL sink, so each kind has its own.
 */
function cacheName(args) {
  const [command, source] = args;
  if (!/^[a-z][a-z-]{0,30}$/.test(command ?? '')) return 'aoe';
  if (!['ingest', 'analyze', 'plan'].includes(command)) return command;
  const into = args.findIndex((arg) => arg === '--into' || arg.startsWith('--into='));
  const target = into < 0 ? undefined : args[into].startsWith('--into=') ? args[into].slice(7) : args[into + 1];
  const kind = (uri, none) => {
    if (uri === undefined) return none;
    const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(uri)?.[1]?.toLowerCase();
    return scheme === undefined || scheme === 'file' ? 'file' : scheme.replace(/[^a-z0-9]/g, '');
  };
  const from = kind(source, 'none');
  return command === 'analyze' ? `${command}-${from}` : `${command}-${from}-${kind(target, 'warehouse')}`;
}

/** False when dist has no bundle, or a project in it was rebuilt after it (its tsbuildinfo is newer). */
function bundleIsCurrent(dist) {
  let built;
  let manifest;
  try {
    built = fs.statSync(path.join(dist, 'aoe.cjs')).mtimeMs;
    manifest = JSON.parse(fs.readFileSync(path.join(dist, 'aoe.bundle.json'), 'utf8'));
  } catch {
    return false;
  }
  return manifest.buildInfo.every((file) => {
    try {
      return fs.statSync(path.join(dist, file)).mtimeMs <= built;
    } catch {
      return true; // an install without build info (a copied dist) runs the bundle as it is
    }
  });
}

function runBundle(file, args) {
  let compiled;
  try {
    compiled = compile(file, cacheName(args));
  } catch {
    compiled = undefined;
  }
  compiled ??= new vm.Script(readSource(fs.readFileSync(file)), { filename: file }).runInThisContext();
  const dirname = path.dirname(file);
  const bundleModule = new Module(file, module);
  bundleModule.filename = file;
  bundleModule.paths = Module._nodeModulePaths(dirname);
  compiled.call(bundleModule.exports, bundleModule.exports, Module.createRequire(file), bundleModule, file, dirname);
  bundleModule.loaded = true;
}

/** The bundle's CommonJS wrapper function, from the code cache when V8 accepts it. */
function compile(file, command) {
  const fd = fs.openSync(file, 'r');
  let buffer;
  let stat;
  try {
    stat = fs.fstatSync(fd);
    buffer = fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const source = readSource(buffer);
  const cacheDir = cacheDirFor(path.dirname(file));
  if (!cacheDir) return undefined;
  const version = `${stat.size}-${Math.round(stat.mtimeMs)}`;
  const cacheFile = path.join(cacheDir, `${command}-${version}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const script = new vm.Script(source, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) writeCacheOnExit(script, cacheDir, cacheFile, version);
  return script.runInThisContext();
}

/** An ASCII file (the bundle escapes the rest) is read as latin1, about 3× faster than decoding UTF-8. */
function readSource(buffer) {
  return isAscii(buffer) ? buffer.toString('latin1') : buffer.toString('utf8');
}

/**
 * dist/v8-cache, or where the install is read-only (a container running as
 * another user) a folder of this user's under the temporary directory. A code
 * cache is code: one there is used only when this user owns the folder and
 * no one else can write to it.
 */
function cacheDirFor(bundleDir) {
  try {
    fs.accessSync(bundleDir, fs.constants.W_OK);
    return path.join(bundleDir, 'v8-cache');
  } catch {
    const uid = process.getuid?.();
    if (uid === undefined) return undefined;
    const install = require('node:crypto').createHash('sha256').update(bundleDir).digest('hex').slice(0, 12);
    const dir = path.join(os.tmpdir(), `aoe-v8-cache-${uid}-${install}`);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = fs.statSync(dir);
    return stat.uid === uid && (stat.mode & 0o022) === 0 ? dir : undefined;
  }
}

/** After a successful run, so the cache holds the functions the command compiled, not only the top level. */
function writeCacheOnExit(script, cacheDir, cacheFile, version) {
  const restoreFlags = trackFlagChanges();
  process.once('exit', (code) => {
    if (code !== 0) return;
    try {
      if (!restoreFlags()) return;
      const data = script.createCachedData();
      fs.mkdirSync(cacheDir, { recursive: true });
      for (const name of fs.readdirSync(cacheDir)) {
        if (!name.endsWith(`-${version}.bin`)) fs.rmSync(path.join(cacheDir, name), { force: true });
      }
      const partial = `${cacheFile}.${process.pid}`;
      fs.writeFileSync(partial, data);
      fs.renameSync(partial, cacheFile);
    } catch {
      // A read-only install or a full disk: the next run compiles again.
    }
  });
}

/**
 * V8 rejects a cache made under other flags than the run reading it has. A
 * command may set some (the CLI sets the wasm tier-up budget per command), so
 * they are put back to V8's defaults before the cache is made. Returns false
 * when that cannot be done.
 */
function trackFlagChanges() {
  const changed = new Set();
  const setFlags = v8.setFlagsFromString;
  v8.setFlagsFromString = (flags) => {
    for (const match of String(flags).matchAll(/--([\w-]+)/g)) changed.add(match[1].replace(/_/g, '-'));
    return setFlags(flags);
  };
  return () => {
    if (changed.size === 0) return true;
    const startFlags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`.replace(/_/g, '-');
    const defaults = v8Defaults();
    const restore = [];
    for (const name of changed) {
      const flag = defaults.get(name) ?? defaults.get(name.replace(/^no-?/, ''));
      if (!flag || startFlags.includes(name)) return false;
      restore.push(flag);
    }
    for (const flag of restore) setFlags(flag);
    return true;
  };
}

/** V8's flags and their defaults as `--name=value` / `--[no-]name`, from `node --v8-options`. */
function v8Defaults() {
  const defaults = new Map();
  const { stdout } = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
  let name;
  for (const line of (stdout ?? '').split('\n')) {
    const flag = /^ {2}--([\w-]+) \(/.exec(line);
    if (flag) name = flag[1];
    const value = /default: (--\S+)/.exec(line);
    if (value && name) defaults.set(name, value[1]);
  }
  return defaults;
}

module.exports = { bundleIsCurrent, cacheName, runBundle };
