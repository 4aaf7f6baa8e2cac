import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SourceProfile } from '@aoe/contracts';
import type { Database } from '../database/database';
import { isForeignKeyViolation } from '../database/sql-errors';
import { ConflictError } from '../errors';
import { listPage, newestFirst, SqlFilter, type Page, type PageRequest } from './pagination';
import { firstRow, iso, jsonParam, parseRow, timestamp, type RawRow } from './rows';

export interface ProfileRecord {
  id: string;
  sourceId: string;
  profile: SourceProfile;
  profiledAt: string;
}

const ProfileRow = z
  .object({ id: z.string(), source_id: z.string(), profile: SourceProfile, profiled_at: timestamp })
  .transform((row): ProfileRecord => ({
    id: row.id,
    sourceId: row.source_id,
    profile: row.profile,
    profiledAt: iso(row.profiled_at),
  }));

const toProfile = (row: RawRow) => parseRow(ProfileRow, row, 'source_profiles', ['id']);

/** Every profile of a source is kept: the monitor compares them to spot drift. */
export class ProfileRepository {
  constructor(private readonly db: Database) {}

  /** Throws ConflictError when the profile's source is not registered. */
  async record(profile: SourceProfile, id: string = randomUUID()): Promise<ProfileRecord> {
    const parsed = SourceProfile.parse(profile);
    try {
      const result = await this.db.query(
        `INSERT INTO source_profiles (id, source_id, profile, profiled_at)
         VALUES ($1, $2, $3::jsonb, $4) RETURNING *`,
        [id, parsed.sourceId, jsonParam(parsed), parsed.profiledAt],
      );
      return toProfile(firstRow(result.rows));
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new ConflictError(`source "${parsed.sourceId}" is not registered`, error);
      throw error;
    }
  }

  async get(id: string): Promise<ProfileRecord | undefined> {
    const result = await this.db.query('SELECT * FROM source_profiles WHERE id = $1', [id]);
    return result.rows[0] ? toProfile(result.rows[0]) : undefined;
  }

  async latest(sourceId: string): Promise<ProfileRecord | undefined> {
    const result = await this.db.query(
      'SELECT * FROM source_profiles WHERE source_id = $1 ORDER BY profiled_at DESC, id DESC LIMIT 1',
      [sourceId],
    );
    return result.rows[0] ? toProfile(result.rows[0]) : undefined;
  }

  /** Newest first. */
  async list(sourceId: string, page: PageRequest = {}): Promise<Page<ProfileRecord>> {
    const where = new SqlFilter().equals('source_id', sourceId);
    return listPage(this.db, newestFirst('source_profiles', 'profiled_at', where), page, toProfile);
  }
}
