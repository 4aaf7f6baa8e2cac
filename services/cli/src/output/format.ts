import type { TargetSpec } from '@aoe/contracts';

/**
 * 1234567 → "1,234,567", as `toLocaleString('en-US')` writes it; integers without
 * Intl, whose first use costs a command about 30 ms.
 */
export const count = (n: number): string =>
  Number.isSafeInteger(n) ? String(n).replace(/\B(?=(\d{3})+$)/g, ',') : n.toLocaleString('en-US');

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s`;
}

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** Where a target is, in one string without credentials: what `--json` calls `target`. */
export function targetLabel(target: TargetSpec): string {
  switch (target.kind) {
    case 'warehouse':
      return `warehouse:${target.table.schema}.${target.table.name}`;
    case 'postgres': {
      const base = target.connection.url
        ? withoutCredentials(target.connection.url)
        : `postgres://${target.connection.host}:${target.connection.port ?? 5432}/${target.connection.database ?? ''}`;
      return `${base}#${target.table.schema}.${target.table.name}`;
    }
    case 's3':
      return `s3://${target.bucket}/${target.prefix}`;
    case 'directory':
      return target.path;
  }
}

export function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** A plain text table: a header row, a rule, then the rows; columns padded to fit. */
export function table(headers: string[], rows: Array<Array<string | number | null | undefined>>): string {
  const text = rows.map((row) => row.map(cell));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n');
}

export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** JSON that survives bigints, byte arrays and dates. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return `\\x${Buffer.from(v).toString('hex')}`;
    return v;
  });
}
