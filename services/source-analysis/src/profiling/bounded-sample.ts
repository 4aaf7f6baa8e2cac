import type { ReadOptions, Row, SourceConnector } from '@aoe/connectors';
import type { ProfileLimits } from './profile-limits';

export type SampleStop = 'end' | 'rows' | 'bytes' | 'time';

export interface Sample {
  /** The rows read, in read order (at most `limits.maxRows`). */
  rows: Row[];
  /** Records in what was read that the source could not decode (ragged CSV lines, invalid JSON). */
  rejected: number;
  /** Source bytes behind the rows read, as the connector counts them (compressed bytes for gzip). */
  bytesRead: number;
  /** Why sampling stopped; `end` means the sample is the whole source. */
  stoppedBy: SampleStop;
}

export interface SampleOptions {
  /** Cancels the whole profile (not a bound: an aborted profile throws). */
  signal?: AbortSignal;
  /** Called after every batch (the handler extends its ack deadline here). */
  onBatch?: () => void;
}

/**
 * Reads at most `maxRows` rows or `maxBytes` source bytes, or for at most
 * `maxSampleMs`, then stops the read: leaving the loop ends the connector's
 * iterator, which closes its stream or its COPY, and the abort signal stops a
 * connector between batches. Nothing past the bound is requested.
 */
export async function sampleSource(
  connector: SourceConnector,
  limits: ProfileLimits,
  options: SampleOptions = {},
): Promise<Sample> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop.abort(new Error(`sampling stopped after ${limits.maxSampleMs} ms`));
  }, limits.maxSampleMs);
  const sample: Sample = { rows: [], rejected: 0, bytesRead: 0, stoppedBy: 'end' };
  const read: ReadOptions = { batchSize: limits.batchSize, signal };
  try {
    for await (const batch of connector.read(read)) {
      options.onBatch?.();
      sample.bytesRead += batch.bytes;
      sample.rejected += batch.rejected.length;
      const room = limits.maxRows - sample.rows.length;
      for (const row of room >= batch.rows.length ? batch.rows : batch.rows.slice(0, room)) sample.rows.push(row);
      if (sample.rows.length >= limits.maxRows) {
        sample.stoppedBy = 'rows';
        break;
      }
      if (sample.bytesRead >= limits.maxBytes) {
        sample.stoppedBy = 'bytes';
        break;
      }
      if (timedOut) {
        sample.stoppedBy = 'time';
        break;
      }
    }
  } catch (error) {
    options.signal?.throwIfAborted();
    if (!timedOut) throw error;
    sample.stoppedBy = 'time';
  } finally {
    clearTimeout(timer);
    stop.abort();
  }
  return sample;
}
