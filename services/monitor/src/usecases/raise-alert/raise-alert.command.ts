import { z } from 'zod';
import { Alert, Id, IsoDateTime } from '@aoe/contracts';

/** A detector's finding to judge and, when the judgement says so, raise. */
export const RaiseAlertCommand = z.strictObject({
  finding: z.strictObject({
    kind: Alert.shape.kind,
    pipelineId: Id,
    runId: Id.optional(),
    at: IsoDateTime,
    summary: z.string().min(1),
    score: z.number().min(0),
    evidence: z.record(z.string(), z.unknown()),
  }),
  /** The envelope correlation id the alert and its decision belong to (the run). */
  correlationId: Id.optional(),
  /** The message that led to the finding. */
  causationId: z.string().min(1).optional(),
});
export type RaiseAlertCommand = z.infer<typeof RaiseAlertCommand>;
