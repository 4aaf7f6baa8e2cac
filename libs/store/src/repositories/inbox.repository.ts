import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { iso } from './rows';

/**
 * The idempotency inbox: which messages a service has already acted on. Record
 * the message in the same store transaction as the handler's writes, so a
 * handler that fails leaves no record and the redelivery is processed.
 */
export class InboxRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** true the first time a service sees messageId; false for every repeat, from any replica. */
  async recordOnce(service: string, messageId: string, subject: string): Promise<boolean> {
    const result = await this.db.query(
      `INSERT INTO inbox (service, message_id, subject, received_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (service, message_id) DO NOTHING`,
      [service, messageId, subject, iso(this.clock.now())],
    );
    return result.rowCount === 1;
  }

  async has(service: string, messageId: string): Promise<boolean> {
    const result = await this.db.query('SELECT 1 FROM inbox WHERE service = $1 AND message_id = $2', [
      service,
      messageId,
    ]);
    return result.rowCount > 0;
  }

  /** Lets a message be processed again (when its handler ran outside the recording transaction and failed). */
  async forget(service: string, messageId: string): Promise<void> {
    await this.db.query('DELETE FROM inbox WHERE service = $1 AND message_id = $2', [service, messageId]);
  }

  /** Drops records older than the bus can redeliver; returns how many. */
  async prune(receivedBefore: string): Promise<number> {
    const result = await this.db.query('DELETE FROM inbox WHERE received_at < $1::timestamptz', [receivedBefore]);
    return result.rowCount;
  }
}
