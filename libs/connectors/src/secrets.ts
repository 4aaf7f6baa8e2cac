import { readFile } from 'node:fs/promises';
import type { SecretRef } from '@aoe/contracts';
import { ConnectorError } from './connector-error';

/** Reads a secret where its reference points; the value never leaves the connector. */
export async function resolveSecret(ref: SecretRef): Promise<string> {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined) throw new ConnectorError('auth', `environment variable ${ref.env} is not set`);
    return value;
  }
  try {
    return (await readFile(ref.file, 'utf8')).trim();
  } catch (error) {
    throw new ConnectorError('auth', `cannot read secret file ${ref.file}: ${(error as Error).message}`);
  }
}
