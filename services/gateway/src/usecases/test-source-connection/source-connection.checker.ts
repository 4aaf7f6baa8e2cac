import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import type { SourceSpec } from '@aoe/contracts';
import { createSourceConnector, type CheckResult } from '@aoe/connectors';

const CHECK_TIMEOUT_MS = 10_000;

/** Opens the source's connector and runs its check; the side effect a test may replace. */
@Injectable()
export class SourceConnectionChecker {
  async check(spec: SourceSpec): Promise<CheckResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, message: `no answer within ${CHECK_TIMEOUT_MS} ms` }),
        CHECK_TIMEOUT_MS,
      );
    });
    try {
      const result = await Promise.race([createSourceConnector(spec).check(), timeout]);
      return { ok: result.ok, message: result.message && scrubSecrets(result.message, spec) };
    } catch (error) {
      return { ok: false, message: scrubSecrets((error as Error).message, spec) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Replaces every resolved credential value (from the spec's references) that a driver echoed back. */
export function scrubSecrets(message: string, spec: unknown): string {
  let scrubbed = message;
  for (const value of secretValues(spec)) if (value.length >= 4) scrubbed = scrubbed.split(value).join('***');
  return scrubbed;
}

function secretValues(node: unknown): string[] {
  if (!node || typeof node !== 'object') return [];
  const record = node as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length === 1 && typeof record.env === 'string') {
    const value = process.env[record.env];
    return value ? [value] : [];
  }
  if (keys.length === 1 && typeof record.file === 'string') {
    try {
      return [readFileSync(record.file, 'utf8').trim()];
    } catch {
      return [];
    }
  }
  return Object.values(record).flatMap(secretValues);
}
