import { join } from 'node:path';
import { AgentFlow } from '../embedded/agent-flow';
import { startEmbedded, type Embedded } from '../embedded/platform';
import { BusWatcher } from '../embedded/watcher';
import { aoeHome } from '../home';
import type { CliIo } from '../io';

export interface Session {
  embedded: Embedded;
  flow: AgentFlow;
  home: string;
  warehouseDir: string;
}

export function homeOf(io: CliIo): { home: string; warehouseDir: string } {
  const home = aoeHome(io.env, io.cwd);
  return { home, warehouseDir: io.env.AOE_WAREHOUSE_DIR ?? join(home, 'warehouse') };
}

/** Embedded mode for the length of one command: every service mounted, a watcher on the bus. */
export async function withSession<T>(io: CliIo, fn: (session: Session) => Promise<T>): Promise<T> {
  const { home, warehouseDir } = homeOf(io);
  const embedded = await startEmbedded({ home, env: io.env });
  let watcher: BusWatcher | undefined;
  try {
    watcher = await BusWatcher.start(embedded.bus);
    return await fn({ embedded, flow: new AgentFlow(embedded, watcher, io.env), home, warehouseDir });
  } finally {
    await watcher?.stop();
    await embedded.close();
  }
}
