import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DagSpec } from './dag-spec';

/**
 * Where DAG specs go for the DAG factory to read: a folder (shared with Airflow's
 * DAG processor) or, next, an S3 prefix. A reader never sees a half-written spec.
 */
export interface DagSpecStore {
  /** Validates and writes (or replaces) `<dag_id>.json`; resolves to where it was written. */
  put(spec: DagSpec): Promise<string>;
  get(dagId: string): Promise<DagSpec | undefined>;
  /** DAG ids of the stored specs, sorted. */
  list(): Promise<string[]>;
  /** Resolves to false when there was nothing to remove. */
  remove(dagId: string): Promise<boolean>;
}

const SUFFIX = '.json';

/** A folder of `<dag_id>.json` files, written to a hidden temporary file, flushed, then renamed over the target. */
export class FolderDagSpecStore implements DagSpecStore {
  constructor(readonly folder: string) {}

  async put(spec: DagSpec): Promise<string> {
    const valid = DagSpec.parse(spec);
    await mkdir(this.folder, { recursive: true });
    const target = this.pathOf(valid.dag_id);
    const temp = join(this.folder, `.${valid.dag_id}${SUFFIX}.${randomUUID()}.tmp`);
    try {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(`${JSON.stringify(valid, null, 2)}\n`, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return target;
  }

  async get(dagId: string): Promise<DagSpec | undefined> {
    let text: string;
    try {
      text = await readFile(this.pathOf(dagId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    return DagSpec.parse(JSON.parse(text));
  }

  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    return names
      .filter((name) => name.endsWith(SUFFIX) && !name.startsWith('.'))
      .map((name) => name.slice(0, -SUFFIX.length))
      .sort();
  }

  async remove(dagId: string): Promise<boolean> {
    const path = this.pathOf(dagId);
    try {
      await rm(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
  }

  private pathOf(dagId: string): string {
    if (!/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,249}$/.test(dagId))
      throw new Error(`not a valid DAG id: ${JSON.stringify(dagId)}`);
    return join(this.folder, `${dagId}${SUFFIX}`);
  }
}
