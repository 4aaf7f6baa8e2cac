import type { FaultyHttpApi } from './faulty-http-api';
import type { ScheduledFault } from './fault-schedule';
import { rewriteDataset, type DatasetManifest } from './file-dataset';
import type { ReplicaKiller } from './service-process';
import type { TcpFaultProxy } from './tcp-fault-proxy';

/** What a scheduled fault can act on; a run passes the ones it has. */
export interface FaultTargets {
  api?: FaultyHttpApi;
  proxy?: TcpFaultProxy;
  replicas?: ReplicaKiller;
  /** The run's file: data faults rewrite it (the series continues, `rows` records). */
  dataset?: { manifest: DatasetManifest; rows: number };
}

export interface AppliedFault {
  /** The file the run must read, for data faults (and what must become of each record). */
  manifest?: DatasetManifest;
  /** Lifts the fault: the proxy passes again, killed replicas are restarted, unserved API faults are dropped. */
  undo(): Promise<void>;
}

function need<T>(target: T | undefined, what: string, fault: ScheduledFault): T {
  if (target === undefined) throw new Error(`a ${fault.kind} fault needs ${what} among the targets`);
  return target;
}

/** Puts one scheduled fault in place on real servers, processes or files. */
export async function applyFault(fault: ScheduledFault, targets: FaultTargets): Promise<AppliedFault> {
  const nothing = async (): Promise<void> => undefined;
  switch (fault.kind) {
    case 'none':
      return { undo: nothing };
    case 'http-storm':
    case 'http-slow':
    case 'http-reset': {
      const api = need(targets.api, 'api', fault);
      api.addFaults([
        fault.kind === 'http-storm'
          ? {
              page: fault.page,
              times: fault.times,
              fault: { kind: 'status', status: fault.status, retryAfter: fault.retryAfterSeconds },
            }
          : fault.kind === 'http-slow'
            ? { page: fault.page, fault: { kind: 'slow', delayMs: fault.delayMs } }
            : { page: fault.page, times: fault.times, fault: { kind: 'reset' } },
      ]);
      return { undo: async () => api.setFaults([]) };
    }
    case 'tcp-drop':
    case 'tcp-latency': {
      const proxy = need(targets.proxy, 'proxy', fault);
      await proxy.setMode(
        fault.kind === 'tcp-drop' ? { kind: 'drop', afterBytes: fault.afterBytes } : { kind: 'latency', ms: fault.ms },
      );
      return { undo: () => proxy.setMode({ kind: 'pass' }) };
    }
    case 'tcp-stall': {
      const proxy = need(targets.proxy, 'proxy', fault);
      await proxy.setMode({ kind: 'stall' });
      const timer = setTimeout(() => void proxy.setMode({ kind: 'pass' }), fault.forMs);
      return {
        undo: async () => {
          clearTimeout(timer);
          await proxy.setMode({ kind: 'pass' });
        },
      };
    }
    case 'malformed-rows':
    case 'schema-change': {
      const dataset = need(targets.dataset, 'dataset', fault);
      const manifest = await rewriteDataset(dataset.manifest, {
        rows: dataset.rows,
        ...(fault.kind === 'malformed-rows' ? { malformed: fault.rows } : { change: fault.change }),
      });
      return { manifest, undo: nothing };
    }
    case 'replica-kill': {
      const replicas = need(targets.replicas, 'replicas', fault);
      await replicas.killOne(fault.replica);
      return { undo: async () => void (await replicas.restartKilled()) };
    }
  }
}
