import { AgentFlow } from '../embedded/agent-flow';
import { startEmbedded, type Embedded } from '../embedded/platform';
import type { SourceProfiler } from '@aoe/source-analysis';
import type { StoreOpening } from '../embedded/store-opening';
import { BusWatcher } from '../embedded/watcher';
import { homeOf } from '../home';
import type { CliIo } from '../io';

export interface Session {
  embedded: Embedded;
  flow: AgentFlow;
  home: string;
  warehouseDir: string;
}

/** What a command started before its session. */
export interface SessionStart {
  /** The home's store, when the command started opening it. */
  store?: StoreOpening;
  /** The profiler source analysis uses, when the command started profiling its source ahead with it. */
  profiler?: SourceProfiler;
}

/**
 * Embedded mode for the length of one command: every service mounted, a watcher
 * on the bus; on the home's store when the command already started opening it.
 */
export async function withSession<T>(io: CliIo, start: SessionStart, fn: (session: Session) => Promise<T>): Promise<T> {
  const { home, warehouseDir } = homeOf(io);
  const embedded = await startEmbedded({ home, env: io.env, ...start });
  let watcher: BusWatcher | undefined;
  try {
    watcher = await BusWatcher.start(embedded.bus);
    return await fn({ embedded, flow: new AgentFlow(embedded, watcher, io.env), home, warehouseDir });
  } finally {
    await watcher?.stop();
    await embedded.close();
  }
}
