import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** One service of the mesh, as found on disk. */
export interface MeshServiceEntry {
  name: string;
  /** The built entry point: `services/<name>/dist/src/main.js`. */
  main: string;
}

/** The workspace root: the nearest folder up from here with a `services/` folder and a workspaces package.json. */
export function findWorkspaceRoot(from: string = __dirname): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (
      existsSync(join(dir, 'services')) &&
      existsSync(join(dir, 'package.json')) &&
      existsSync(join(dir, 'nx.json'))
    ) {
      return dir;
    }
    if (dirname(dir) === dir) throw new Error(`no workspace root above ${from}`);
  }
}

/**
 * Every service of the mesh: a folder under `services/` whose package.json is
 * tagged `type:service` (the tag the module-boundary lint already relies on)
 * and that has a `src/main.ts`. A new service is picked up without editing a
 * list; the CLI (`type:composition-root`) is not a service.
 */
export async function discoverServices(root: string): Promise<MeshServiceEntry[]> {
  const folders = await readdir(join(root, 'services'), { withFileTypes: true });
  const found: MeshServiceEntry[] = [];
  for (const folder of folders.filter((f) => f.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(root, 'services', folder.name);
    const tags = await readTags(join(dir, 'package.json'));
    if (!tags.includes('type:service') || !existsSync(join(dir, 'src', 'main.ts'))) continue;
    found.push({ name: folder.name, main: join(dir, 'dist', 'src', 'main.js') });
  }
  return found;
}

async function readTags(packageJson: string): Promise<string[]> {
  try {
    const parsed = JSON.parse(await readFile(packageJson, 'utf8')) as { nx?: { tags?: unknown } };
    return Array.isArray(parsed.nx?.tags) ? parsed.nx.tags.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
