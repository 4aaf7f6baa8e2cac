import type { CursorState } from '../connector';

/** A file or object as listed, before it is read. */
export interface ListedObject {
  key: string;
  lastModified: Date;
}

/** The cursor column named in the state of object-store and file-glob sources. */
export const OBJECT_CURSOR_COLUMN = '_last_modified';

/**
 * Incremental reads by new objects: the state holds the highest last-modified
 * time loaded and the objects loaded at exactly that time. An object is new
 * when it is younger than the mark, or as old but not among those objects
 * (last-modified has one-second resolution on S3: several objects share it).
 */
export class ObjectCursor {
  private mark: number | null;
  private keysAtMark: Set<string>;

  constructor(
    private readonly column: string,
    cursor?: CursorState,
  ) {
    const value = cursor?.value;
    const parsed = value === null || value === undefined ? NaN : new Date(value).getTime();
    this.mark = Number.isNaN(parsed) ? null : parsed;
    this.keysAtMark = new Set(
      (cursor?.objects ?? []).filter((o) => new Date(o.lastModified).getTime() === this.mark).map((o) => o.key),
    );
  }

  isNew(object: ListedObject): boolean {
    const time = object.lastModified.getTime();
    return this.mark === null || time > this.mark || (time === this.mark && !this.keysAtMark.has(object.key));
  }

  /** Records an object as loaded. */
  complete(object: ListedObject): void {
    const time = object.lastModified.getTime();
    if (this.mark === null || time > this.mark) {
      this.mark = time;
      this.keysAtMark = new Set([object.key]);
    } else if (time === this.mark) {
      this.keysAtMark.add(object.key);
    }
  }

  state(): CursorState {
    const value = this.mark === null ? null : new Date(this.mark).toISOString();
    return {
      column: this.column,
      value,
      keysAtValue: [],
      objects: value === null ? [] : [...this.keysAtMark].sort().map((key) => ({ key, lastModified: value })),
    };
  }
}

/** Orders objects oldest first, then by key: the order an incremental read loads them in. */
export function byLastModified(a: ListedObject, b: ListedObject): number {
  return a.lastModified.getTime() - b.lastModified.getTime() || compareKeys(a.key, b.key);
}

/** Plain code-unit order (not locale order), the order S3 lists keys in. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
