import type { Clock } from '../clock';
import type { Database } from '../database/database';
import { AlertRepository } from './alert.repository';
import { ApiKeyRepository } from './api-key.repository';
import { AuditRepository } from './audit.repository';
import { CheckpointRepository } from './checkpoint.repository';
import { CircuitBreakerRepository } from './circuit-breaker.repository';
import { DeadLetterRepository } from './dead-letter.repository';
import { DecisionRepository } from './decision.repository';
import { InboxRepository } from './inbox.repository';
import { PipelineRepository } from './pipeline.repository';
import { PlanRepository } from './plan.repository';
import { ProfileRepository } from './profile.repository';
import { RecoveryActionRepository } from './recovery-action.repository';
import { RunRepository } from './run.repository';
import { RunStatsRepository } from './run-stats.repository';
import { SourceRepository } from './source.repository';
import { TaskRunRepository } from './task-run.repository';

/** Every repository, bound to one database handle (the pool, or one transaction). */
export class Repositories {
  readonly sources: SourceRepository;
  readonly profiles: ProfileRepository;
  readonly pipelines: PipelineRepository;
  readonly plans: PlanRepository;
  readonly runs: RunRepository;
  readonly taskRuns: TaskRunRepository;
  readonly decisions: DecisionRepository;
  readonly alerts: AlertRepository;
  readonly checkpoints: CheckpointRepository;
  readonly deadLetters: DeadLetterRepository;
  readonly inbox: InboxRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly audit: AuditRepository;
  readonly runStats: RunStatsRepository;
  readonly recoveryActions: RecoveryActionRepository;
  readonly circuits: CircuitBreakerRepository;

  constructor(db: Database, clock: Clock) {
    this.sources = new SourceRepository(db, clock);
    this.profiles = new ProfileRepository(db);
    this.pipelines = new PipelineRepository(db, clock);
    this.plans = new PlanRepository(db);
    this.runs = new RunRepository(db, clock);
    this.taskRuns = new TaskRunRepository(db, clock);
    this.decisions = new DecisionRepository(db);
    this.alerts = new AlertRepository(db, clock);
    this.checkpoints = new CheckpointRepository(db, clock);
    this.deadLetters = new DeadLetterRepository(db, clock);
    this.inbox = new InboxRepository(db, clock);
    this.apiKeys = new ApiKeyRepository(db, clock);
    this.audit = new AuditRepository(db, clock);
    this.runStats = new RunStatsRepository(db, clock);
    this.recoveryActions = new RecoveryActionRepository(db, clock);
    this.circuits = new CircuitBreakerRepository(db, clock);
  }
}
