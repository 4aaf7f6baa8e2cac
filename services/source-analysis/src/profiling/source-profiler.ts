import { performance } from 'node:perf_hooks';
import type { S3Client } from '@aws-sdk/client-s3';
import { canonicalJson } from '@aoe/agents';
import { Identifier, SourceProfile, type ColumnProfile, type LogicalType, type SourceSpec } from '@aoe/contracts';
import {
  inferLogicalType,
  inferValueType,
  type ColumnSchema,
  type HttpApiSourceOptions,
  type PgConnectionFactory,
  type Row,
} from '@aoe/connectors';
import { sampleSource, type Sample, type SampleStop } from './bounded-sample';
import { columnStats, epochOf, type ColumnStats } from './column-stats';
import { estimateDistinct } from './distinct-estimate';
import { cursorCandidates, isUpdatedName, primaryKeyCandidates, type ProfiledColumn } from './keys';
import { detectPii } from './pii';
import { profileLimits, profileLimitsFromEnv, type ProfileLimits } from './profile-limits';
import { probeFile } from './probes/file.probe';
import { probeHttp } from './probes/http.probe';
import { probePostgres } from './probes/postgres.probe';
import { probeS3 } from './probes/s3.probe';
import type { ProbeContext, ProbeResult } from './probes/source-probe';

export interface SourceProfilerOptions {
  /** Default bounds of every profile. */
  limits?: Partial<ProfileLimits>;
  /** Relative file paths resolve here (default: the working directory). */
  cwd?: string;
  /** Clients and sessions to use instead of ones built from the spec (tests, shared pools). */
  s3Client?: S3Client;
  http?: HttpApiSourceOptions;
  postgresConnectionFactory?: PgConnectionFactory;
  now?: () => Date;
}

export interface ProfileRequest {
  sourceId: string;
  spec: SourceSpec;
  /** Bounds for this profile only. */
  limits?: Partial<ProfileLimits>;
  signal?: AbortSignal;
  /** Called as the sample is read (a bus handler extends its ack deadline here). */
  onProgress?: () => void;
}

/** A profile and how it was made. */
export interface ProfileOutcome {
  profile: SourceProfile;
  sampling: {
    rowsRead: number;
    bytesRead: number;
    rejected: number;
    stoppedBy: SampleStop;
    /** TABLESAMPLE over the whole table, rather than the first rows. */
    spread: boolean;
    limits: ProfileLimits;
  };
  /** Where the row count comes from: `pg_class.reltuples`, `Parquet footers`, `the whole source was read`, … */
  rowCountFrom: string;
}

/** The source id a profile made ahead carries until a request gives it the real one. */
const AHEAD_SOURCE_ID = 'profiled-ahead';
/** A profile made ahead is taken only this soon after it started: older, the source may have changed. */
const AHEAD_MAX_AGE_MS = 60_000;

const ignore = (): void => undefined;

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

function inferType(rows: readonly Row[], name: string, text: boolean): { type: LogicalType; nullable: boolean } {
  if (!text) return inferValueType(rows.map((row) => row[name]));
  // CSV cells: strings, or null.
  return inferLogicalType(rows.map((row) => (row[name] ?? null) as string | null));
}

/** Column names in declared order, then in order of first appearance in the sample. */
function columnNames(declared: readonly ColumnSchema[] | undefined, rows: readonly Row[]): string[] {
  const names = new Set((declared ?? []).map((c) => c.name));
  for (const row of rows) for (const name of Object.keys(row)) names.add(name);
  return [...names].filter((name) => Identifier.safeParse(name).success);
}

/**
 * Profiles any source within bounds: what its metadata says (probes), plus one
 * bounded sample read through its connector. See docs/source-analysis.md for
 * how each field is inferred.
 */
export class SourceProfiler {
  private readonly limits: ProfileLimits;
  private readonly now: () => Date;
  /** Profiles started by profileAhead, by spec, until a profile() of that spec takes them. */
  private readonly ahead = new Map<string, { outcome: Promise<ProfileOutcome>; startedAt: number }>();

  constructor(private readonly options: SourceProfilerOptions = {}) {
    this.limits = profileLimits(options.limits);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Starts profiling `spec` now, before anyone asks: a command that knows its
   * source early (the CLI, while its store opens) overlaps the sample with
   * its own start-up. The next profile() of the same spec with the default
   * limits, within a minute, takes this outcome instead of sampling again
   * (once). One that failed is dropped: that profile() then runs afresh, and
   * its failure is handled as any other. Resolves when this profile has ended,
   * either way (never rejects).
   */
  profileAhead(spec: SourceSpec): Promise<void> {
    const key = canonicalJson(spec);
    const running = this.ahead.get(key);
    if (running) return running.outcome.then(ignore, ignore);
    const outcome = this.sampleAndAssemble({ sourceId: AHEAD_SOURCE_ID, spec });
    this.ahead.set(key, { outcome, startedAt: this.now().getTime() });
    return outcome.then(ignore, ignore);
  }

  async profile(request: ProfileRequest): Promise<ProfileOutcome> {
    const ahead = request.limits === undefined ? this.takeAhead(request.spec) : undefined;
    if (ahead) {
      const outcome = await ahead.catch(() => undefined);
      if (outcome) return { ...outcome, profile: { ...outcome.profile, sourceId: request.sourceId } };
    }
    return this.sampleAndAssemble(request);
  }

  private takeAhead(spec: SourceSpec): Promise<ProfileOutcome> | undefined {
    const key = canonicalJson(spec);
    const entry = this.ahead.get(key);
    if (!entry) return undefined;
    this.ahead.delete(key);
    return this.now().getTime() - entry.startedAt <= AHEAD_MAX_AGE_MS ? entry.outcome : undefined;
  }

  private async sampleAndAssemble(request: ProfileRequest): Promise<ProfileOutcome> {
    const started = performance.now();
    const limits = profileLimits({ ...this.limits, ...request.limits });
    const probe = await this.probe(request.spec, { limits, signal: request.signal });
    let sample: Sample;
    try {
      sample = await sampleSource(probe.sampler, limits, { signal: request.signal, onBatch: request.onProgress });
      // An empty source still has columns (a CSV header): the connector's discover knows them.
      if (sample.rows.length === 0 && !probe.declared) {
        const [schema] = await probe.sampler.discover().catch(() => []);
        if (schema && schema.columns.length > 0)
          probe.declared = schema.columns.map(({ name, type }) => ({ name, type, nullable: true }));
      }
    } finally {
      await probe.close();
    }
    return this.assemble(request, probe, sample, limits, performance.now() - started);
  }

  private probe(spec: SourceSpec, context: ProbeContext): Promise<ProbeResult> {
    switch (spec.kind) {
      case 'postgres':
        return probePostgres(spec, { ...context, connectionFactory: this.options.postgresConnectionFactory });
      case 'file':
        return probeFile(spec, { ...context, cwd: this.options.cwd });
      case 's3':
        return probeS3(spec, { ...context, client: this.options.s3Client });
      case 'http-api':
        return probeHttp(spec, { ...context, http: this.options.http });
    }
  }

  private assemble(
    request: ProfileRequest,
    probe: ProbeResult,
    sample: Sample,
    limits: ProfileLimits,
    elapsed: number,
  ): ProfileOutcome {
    const rows = sample.rows;
    const whole = sample.stoppedBy === 'end' && !probe.spreadSample;
    const { rowCount, rowCountFrom } = this.rowCount(probe, sample, whole);
    const declared = new Map((probe.declared ?? []).map((c) => [c.name, c]));

    const profiled: Array<ProfiledColumn & { declared?: ColumnSchema }> = columnNames(probe.declared, rows).map(
      (name) => {
        const schema = declared.get(name);
        const type = schema?.type ?? inferType(rows, name, probe.textValues).type;
        return { name, type, stats: columnStats(rows, name, type), declared: schema };
      },
    );

    const columns: ColumnProfile[] = profiled.map(({ name, type, stats, declared: schema }) => {
      const nullRate = stats.rows === 0 ? 0 : stats.nulls / stats.rows;
      const piiHints = detectPii(name, type, stats.texts);
      const column: ColumnProfile = {
        name,
        type,
        nullable: schema ? schema.nullable : stats.nulls > 0 || !whole || stats.rows === 0,
        nullRate: round(nullRate, 4),
        distinctEstimate: this.distinct(name, stats, probe, rowCount, nullRate, whole),
        piiHints,
      };
      if (schema?.declaredType) column.declaredType = schema.declaredType;
      // Bounds of a column that looks personal stay out of the profile: it is stored and shown.
      if (piiHints.length === 0 && stats.min !== undefined) {
        column.min = stats.min;
        column.max = stats.max;
      }
      return column;
    });

    const cursors = cursorCandidates(profiled);
    const profile: SourceProfile = {
      sourceId: request.sourceId,
      kind: request.spec.kind,
      profiledAt: this.now().toISOString(),
      columns,
      primaryKeyCandidates: primaryKeyCandidates(profiled, rows, {
        primaryKey: probe.primaryKey,
        uniqueKeys: probe.uniqueKeys,
      }),
      primaryKeyConfirmed: Boolean(probe.primaryKey?.length),
      cursorCandidates: cursors,
      rowCountEstimate: rowCount,
      sampleSize: rows.length,
      durationMs: round(elapsed, 1),
    };
    const size =
      probe.sizeBytes ??
      (probe.format === 'json' && rows.length > 0 ? (sample.bytesRead / rows.length) * rowCount : undefined);
    if (size !== undefined) profile.sizeBytes = Math.round(size);
    if (probe.format) profile.format = probe.format;
    if (probe.encoding) profile.encoding = probe.encoding;
    if (probe.delimiter) profile.delimiter = probe.delimiter;
    if (probe.compression) profile.compression = probe.compression;
    const growth = this.growth(profiled, cursors, probe.spreadSample || whole ? rowCount : rows.length);
    if (growth) profile.growth = growth;

    return {
      profile: SourceProfile.parse(profile),
      sampling: {
        rowsRead: rows.length,
        bytesRead: sample.bytesRead,
        rejected: sample.rejected,
        stoppedBy: sample.stoppedBy,
        spread: probe.spreadSample,
        limits,
      },
      rowCountFrom,
    };
  }

  /**
   * The whole source read: its rows, exactly. Else what the source states
   * (catalogue, footers, API total). Else the source's size divided by the
   * bytes per sampled row.
   */
  private rowCount(probe: ProbeResult, sample: Sample, whole: boolean): { rowCount: number; rowCountFrom: string } {
    const read = sample.rows.length;
    if (whole) return { rowCount: read, rowCountFrom: 'the whole source was read' };
    if (probe.rowCount) return { rowCount: Math.max(probe.rowCount.value, read), rowCountFrom: probe.rowCount.from };
    const base = probe.sizeForEstimate;
    if (base && read > 0 && (base.rowBytes || sample.bytesRead > 0)) {
      let perRow = sample.bytesRead / (read + sample.rejected);
      if (base.rowBytes) {
        let total = 0;
        for (const row of sample.rows) total += base.rowBytes(row);
        perRow = total / read;
      }
      // The sample is the first rows; the source's last bytes say how long its last rows are.
      if (base.tailBytesPerRow) perRow = (perRow + base.tailBytesPerRow) / 2;
      const rows = base.bytes / Math.max(1, perRow + base.overheadPerRow);
      return { rowCount: Math.max(read, Math.round(rows)), rowCountFrom: 'size ÷ bytes per sampled row' };
    }
    return { rowCount: read, rowCountFrom: 'rows sampled (a lower bound: the source states no total)' };
  }

  private distinct(
    name: string,
    stats: ColumnStats,
    probe: ProbeResult,
    rowCount: number,
    nullRate: number,
    whole: boolean,
  ): number {
    const known = probe.distinct?.get(name);
    if (known !== undefined) return known;
    if (whole) return stats.distinct;
    return estimateDistinct({
      sampled: stats.rows - stats.nulls,
      distinct: stats.distinct,
      singletons: stats.singletons,
      population: Math.round(rowCount * (1 - nullRate)),
    });
  }

  /** Rows per day over the span of the best time cursor that records creation (not update). */
  private growth(
    columns: readonly ProfiledColumn[],
    cursors: readonly string[],
    rows: number,
  ): SourceProfile['growth'] {
    for (const name of cursors) {
      const column = columns.find((c) => c.name === name);
      if (!column || !['date', 'timestamp', 'timestamptz'].includes(column.type) || isUpdatedName(name)) continue;
      const from = column.stats.min === undefined ? undefined : epochOf(column.stats.min);
      const to = column.stats.max === undefined ? undefined : epochOf(column.stats.max);
      if (from === undefined || to === undefined || to - from < HOUR_MS) continue;
      return { rowsPerDay: round(rows / ((to - from) / DAY_MS), 2), since: new Date(from).toISOString() };
    }
    return undefined;
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** The service's profiler: default bounds, overridden by `AOE_PROFILE_MAX_*`. */
export function sourceProfilerFromEnv(env: NodeJS.ProcessEnv = process.env): SourceProfiler {
  return new SourceProfiler({ limits: profileLimitsFromEnv(env) });
}
