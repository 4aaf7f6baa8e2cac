import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import type { ListedObject } from '../formats/object-cursor';
import { compareKeys } from '../formats/object-cursor';

export interface ListedFile extends ListedObject {
  /** Absolute path. */
  path: string;
  /** Shown in positions: relative to the directory or glob base (`orders.csv`, `2024/05/orders.csv`). */
  key: string;
  size: number;
}

/** Names a directory read skips: hidden files, temporary parts, markers such as `_SUCCESS`. */
function skipped(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/**
 * The files a FileSource `path` names, in path order: one file; every file
 * directly in a directory (hidden and `_`-prefixed ones skipped); or the files
 * a glob (`data/*.csv`, `logs/**\/*.jsonl.gz`) matches.
 */
export async function listFiles(pattern: string, cwd = process.cwd()): Promise<{ files: ListedFile[]; base: string }> {
  const absolute = resolve(cwd, pattern);
  const info = await stat(absolute).catch(() => undefined);
  if (info?.isFile()) {
    return { base: resolve(absolute, '..'), files: [toListed(absolute, basename(absolute), info)] };
  }
  if (info?.isDirectory()) {
    const entries = await readdir(absolute, { withFileTypes: true });
    const files = await Promise.all(
      entries
        .filter((entry) => entry.isFile() && !skipped(entry.name))
        .map(async (entry) => {
          const path = join(absolute, entry.name);
          return toListed(path, entry.name, await stat(path));
        }),
    );
    return { base: absolute, files: files.sort((a, b) => compareKeys(a.key, b.key)) };
  }
  const scan = picomatch.scan(absolute);
  if (!scan.isGlob) return { base: resolve(absolute, '..'), files: [] };
  const base = scan.base === '' ? sep : scan.base;
  const paths = await glob(scan.glob, { cwd: base, absolute: true, onlyFiles: true });
  const files = await Promise.all(
    paths.map(async (path) => toListed(path, relative(base, path).split(sep).join('/'), await stat(path))),
  );
  return { base, files: files.sort((a, b) => compareKeys(a.key, b.key)) };
}

function toListed(path: string, key: string, info: { mtime: Date; size: number }): ListedFile {
  return { path, key, lastModified: info.mtime, size: info.size };
}
