import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { LogicalType } from '@aoe/contracts';
import { testDatabaseUrl, uniqueName } from '@aoe/testing';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pgTypeFor, quoteIdent, sqlCastFor } from '../src';
import { castSamples, randomSamples } from './fixtures/cast-samples';

/**
 * The typed-COPY guards against the real server: every text the strict guard
 * accepts, COPYed into a column of the cast's type, reads back as the staged
 * path's `convert` of the same text; and every text only the normal guard
 * accepts reads back differently (so the strict guard refuses no more than
 * it must).
 */

/** Every type the set-based path casts to in SQL. */
const TYPES = LogicalType.options.filter((type) => sqlCastFor(type) !== undefined);

let pg: Client;
let schema: string;
const random = randomSamples(5_000, 13);
const samples = castSamples();

beforeAll(async () => {
  pg = new Client({ connectionString: await testDatabaseUrl() });
  await pg.connect();
  schema = quoteIdent(uniqueName('aoe_typed_guards'));
  await pg.query(`CREATE SCHEMA ${schema}`);
  // As the typed COPY's sessions and the staged publish set it.
  await pg.query(`SET TimeZone = 'UTC'`);
});

afterAll(async () => {
  await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await pg.end();
});

/** COPYs `texts` (unquoted CSV fields, UTF-8: none holds a separator) into `table` (seq, v). */
async function copyInto(table: string, texts: readonly string[]): Promise<void> {
  const csv = texts.map((text, i) => `${i},${text}\n`).join('');
  await pipeline(
    Readable.from([Buffer.from(csv)]),
    pg.query(copyFrom(`COPY ${table} (seq, v) FROM STDIN (FORMAT csv)`)),
  );
}

/** Per text: the typed COPY's value and the staged `convert`'s, as text. */
async function bothWays(
  type: LogicalType,
  name: string,
  texts: readonly string[],
): Promise<Map<string, [string, string]>> {
  const cast = sqlCastFor(type)!;
  const staged = `${schema}.${quoteIdent(`${name}_text`)}`;
  const typed = `${schema}.${quoteIdent(`${name}_typed`)}`;
  await pg.query(`CREATE TABLE ${staged} (seq integer PRIMARY KEY, v text)`);
  await pg.query(`CREATE TABLE ${typed} (seq integer PRIMARY KEY, v ${pgTypeFor(type)})`);
  await copyInto(staged, texts);
  await copyInto(typed, texts);
  const { rows } = await pg.query<{ seq: number; typed: string; staged: string }>(
    `SELECT s.seq, t.v::text AS typed, (${cast.convert('s.v')})::text AS staged
       FROM ${staged} s JOIN ${typed} t USING (seq) ORDER BY s.seq`,
  );
  expect(rows).toHaveLength(texts.length);
  return new Map(rows.map((r) => [texts[r.seq], [r.typed, r.staged]]));
}

/** Texts that hold no CSV separator, as unquoted fields never do. */
const unquotable = (text: string): boolean => !/[,"\r\n]/.test(text) && text !== '';

describe('typed COPY guards on PostgreSQL', () => {
  it.each(TYPES)(
    '%s: a typed COPY stores exactly what convert gives, for every text the strict guard accepts',
    async (type) => {
      const cast = sqlCastFor(type)!;
      const corpus = [...new Set([...samples[type], ...random])].filter(unquotable);
      const strict = corpus.filter((t) => cast.typed.accepts(t));
      expect(strict.length).toBeGreaterThan(type === 'string' ? 0 : 10);
      const values = await bothWays(type, `${type}_strict`, strict);
      const differing = strict
        .filter((t) => values.get(t)![0] !== values.get(t)![1])
        .map((t) => [t, ...values.get(t)!]);
      expect(differing).toEqual([]);
    },
  );

  it.each(TYPES)('%s: every text only the normal guard accepts is stored differently by a typed COPY', async (type) => {
    const cast = sqlCastFor(type)!;
    const corpus = [...new Set([...samples[type], ...random])].filter(unquotable);
    const onlyNormal = corpus.filter((t) => cast.accepts(t) && !cast.typed.accepts(t));
    if (!['number', 'timestamp', 'timestamptz'].includes(type)) {
      expect(onlyNormal).toEqual([]);
      return;
    }
    expect(onlyNormal.length).toBeGreaterThan(3);
    const values = await bothWays(type, `${type}_normal`, onlyNormal);
    const same = onlyNormal.filter((t) => values.get(t)![0] === values.get(t)![1]);
    expect(same).toEqual([]);
  });

  it("'…Z'::timestamp ignores the zone, as the typed timestamp guard relies on", async () => {
    const { rows } = await pg.query<{ z: string; offset: string }>(
      `SELECT '2024-01-01T10:00:00Z'::timestamp::text AS z, '2024-01-01T10:00:00+05:30'::timestamp::text AS offset`,
    );
    expect(rows[0]).toEqual({ z: '2024-01-01 10:00:00', offset: '2024-01-01 10:00:00' });
  });

  it('boolean input takes every spelling the guard accepts, in any case, as convert reads it', async () => {
    const cast = sqlCastFor('boolean')!;
    const spellings = samples.boolean.filter((t) => cast.typed.accepts(t));
    // Every casing of every word: t f y n (2 each), on no (4), yes off (8), true (16), false (32), and 1, 0.
    expect(spellings).toHaveLength(4 * 2 + 2 * 4 + 2 * 8 + 16 + 32 + 2);
    const { rows } = await pg.query<{ v: string; typed: boolean; staged: boolean }>(
      `SELECT v, v::boolean AS typed, ${cast.convert('v')} AS staged FROM unnest($1::text[]) AS v`,
      [spellings],
    );
    expect(rows.filter((r) => r.typed !== r.staged)).toEqual([]);
  });
});
