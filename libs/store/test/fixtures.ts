import { createHash } from 'node:crypto';
import {
  AgentDecision,
  Alert,
  DeadLetter,
  PipelinePlan,
  SourceProfile,
  SourceSpec,
  type TargetSpec,
} from '@aoe/contracts';
import type { Clock } from '../src';

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  private current: number;

  constructor(start = '2025-01-01T00:00:00.000Z') {
    this.current = Date.parse(start);
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current += ms;
  }
}

export const fileSpec = (path = 'data/orders.csv'): SourceSpec => SourceSpec.parse({ kind: 'file', path });

export const warehouseTarget = (name = 'orders'): TargetSpec => ({
  kind: 'warehouse',
  table: { schema: 'public', name },
});

export const profileOf = (sourceId: string, profiledAt = '2025-01-01T00:00:00.000Z'): SourceProfile =>
  SourceProfile.parse({
    sourceId,
    kind: 'file',
    profiledAt,
    columns: [
      { name: 'id', type: 'integer', nullable: false, nullRate: 0, distinctEstimate: 100 },
      {
        name: 'email',
        type: 'string',
        nullable: true,
        nullRate: 0.1,
        distinctEstimate: 90,
        piiHints: [{ kind: 'email', evidence: 'name-and-values', confidence: 0.9 }],
      },
    ],
    primaryKeyCandidates: [['id']],
    cursorCandidates: [],
    rowCountEstimate: 100,
    sampleSize: 100,
    format: 'csv',
    durationMs: 12,
  });

export const planOf = (pipelineId: string, sourceId: string, version: number): PipelinePlan =>
  PipelinePlan.parse({
    pipelineId,
    sourceId,
    version,
    target: warehouseTarget(),
    tasks: [
      { id: 'extract', kind: 'extract', params: { mode: 'full' } },
      { id: 'load', kind: 'load', dependsOn: ['extract'], params: { mode: 'append' } },
    ],
    settings: { batchSize: 1000, readParallelism: 1, loadConcurrency: 1 },
    createdBy: 'rules',
    createdAt: '2025-01-01T00:00:00.000Z',
  });

export const decisionOf = (id: string, subjectId: string, at: string, input = 'input'): AgentDecision =>
  AgentDecision.parse({
    id,
    agent: 'planner',
    subjectId,
    correlationId: 'corr-1',
    inputDigest: createHash('sha256').update(input).digest('hex'),
    choice: { loadMode: 'append', nested: { batchSize: 1000 } },
    rationale: 'no primary key: append',
    decidedBy: 'rules',
    latencyMs: 3,
    accepted: true,
    at,
  });

export const alertOf = (id: string, pipelineId: string, at: string): Alert =>
  Alert.parse({
    id,
    pipelineId,
    kind: 'volume-drop',
    severity: 'warning',
    message: 'rows dropped by 80%',
    evidence: { expected: 1000, actual: 200 },
    at,
  });

export const deadLetterOf = (service: string, failedAt: string): DeadLetter =>
  DeadLetter.parse({
    service,
    originalSubject: 'aoe.cmd.source.analyze',
    originalData: '{"not":"valid"}',
    originalEncoding: 'utf-8',
    originalHeaders: { 'Nats-Msg-Id': 'm-1' },
    reason: 'payload does not match source.analyze',
    kind: 'invalid-message',
    attempts: 1,
    failedAt,
  });
