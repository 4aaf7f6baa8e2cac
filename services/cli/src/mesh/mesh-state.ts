import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const MeshProcessRecord = z.object({
  service: z.string(),
  replica: z.number().int().min(0),
  pid: z.number().int().positive(),
  main: z.string(),
  url: z.string(),
  grpcPort: z.number().int(),
  log: z.string(),
});
export type MeshProcessRecord = z.infer<typeof MeshProcessRecord>;

/** What `aoe mesh up` leaves in `<AOE_HOME>/mesh/state.json` for `status` and `down`. */
export const MeshState = z.object({
  startedAt: z.string(),
  /** The `aoe mesh up` that started the processes (gone after `--detach`). */
  supervisorPid: z.number().int(),
  processes: z.array(MeshProcessRecord),
});
export type MeshState = z.infer<typeof MeshState>;

/** `<AOE_HOME>/mesh`: the state file and `logs/<service>-<replica>.log`. */
export class MeshStateFile {
  readonly path: string;
  readonly logDir: string;

  constructor(readonly dir: string) {
    this.path = join(dir, 'state.json');
    this.logDir = join(dir, 'logs');
  }

  async read(): Promise<MeshState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const parsed = MeshState.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`${this.path} is not a mesh state file: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  /** Written whole and renamed into place, so a reader never sees half a file. */
  async write(state: MeshState): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const temp = `${this.path}.${process.pid}.tmp`;
    await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
    await rename(temp, this.path);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
