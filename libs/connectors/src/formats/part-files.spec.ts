import { ObjectCursor } from './object-cursor';
import { isObsoletePart, parsePartName, partName, safeRunId } from './part-files';

describe('part names', () => {
  it('round-trip run ids, even ones with dashes and digits', () => {
    expect(partName('run/1 2', 3, 'csv')).toBe('part-run_1_2-00003.csv');
    expect(parsePartName('part-a-00001-00012.parquet')).toEqual({ runId: 'a-00001', index: 12, format: 'parquet' });
    expect(parsePartName('part-a.csv')).toBeUndefined();
    expect(safeRunId('ok-1_2.3')).toBe('ok-1_2.3');
  });

  it('decides which parts a commit makes obsolete', () => {
    const commit = { runId: 'r1', parts: 2, format: 'csv' as const, replace: false };
    expect(isObsoletePart('part-r1-00001.csv', commit)).toBe(false);
    expect(isObsoletePart('part-r1-00002.csv', commit)).toBe(true);
    expect(isObsoletePart('part-r1-00000.jsonl', commit)).toBe(true);
    expect(isObsoletePart('part-r2-00000.csv', commit)).toBe(false);
    expect(isObsoletePart('part-r2-00000.csv', { ...commit, replace: true })).toBe(true);
    expect(isObsoletePart('notes.txt', { ...commit, replace: true })).toBe(false);
  });
});

describe('ObjectCursor', () => {
  const at = (iso: string): Date => new Date(iso);

  it('selects younger objects and unseen ones at the mark', () => {
    const cursor = new ObjectCursor('_last_modified', {
      column: '_last_modified',
      value: '2024-01-01T00:00:10.000Z',
      keysAtValue: [],
      objects: [{ key: 'b', lastModified: '2024-01-01T00:00:10.000Z' }],
    });
    expect(cursor.isNew({ key: 'a', lastModified: at('2024-01-01T00:00:09Z') })).toBe(false);
    expect(cursor.isNew({ key: 'b', lastModified: at('2024-01-01T00:00:10Z') })).toBe(false);
    expect(cursor.isNew({ key: 'c', lastModified: at('2024-01-01T00:00:10Z') })).toBe(true);
    expect(cursor.isNew({ key: 'd', lastModified: at('2024-01-01T00:00:11Z') })).toBe(true);
    cursor.complete({ key: 'c', lastModified: at('2024-01-01T00:00:10Z') });
    expect(cursor.state().objects?.map((o) => o.key)).toEqual(['b', 'c']);
    cursor.complete({ key: 'a', lastModified: at('2024-01-01T00:00:01Z') });
    expect(cursor.state().value).toBe('2024-01-01T00:00:10.000Z');
  });

  it('starts empty without a state', () => {
    const cursor = new ObjectCursor('_last_modified');
    expect(cursor.isNew({ key: 'x', lastModified: new Date(0) })).toBe(true);
    expect(cursor.state()).toEqual({ column: '_last_modified', value: null, keysAtValue: [], objects: [] });
  });
});
