import type { TransformOp, ValidationRule } from '@aoe/contracts';
import type { ColumnSchema, Row, StagedRow, StagedTransform, StagedTransformSink } from '@aoe/connectors';
import { DataQualityError, type RowFailure } from '../errors';
import { compileTransforms, type TransformOptions, type TransformPipeline } from '../transforms/transform-pipeline';
import { compileValidation, type ValidationOptions } from '../validation/validator';
import type { EngineTaskSpec, OnFailure } from './task-spec';

/**
 * The set-based path (docs/engine.md): a chain of casts, one dedupe and row
 * rules (not-null, pattern, unique on the dedupe key, row-count) runs as SQL
 * on the target's staging table. The target proves what it can in SQL; every
 * row it cannot vouch for comes back here and is judged by the same compiled
 * casts and validators the row path runs, so reasons, quarantined rows and
 * loaded rows are the row path's.
 */

export interface SetBasedContext {
  spec: EngineTaskSpec;
  /** The source's columns (raw text for a CSV). */
  inputColumns: readonly ColumnSchema[];
  transformPolicy: OnFailure;
  transforms?: TransformOptions;
  validation?: ValidationOptions;
  maxFailuresReported: number;
  /** Sets failed rows aside (quarantine) — the row path's quarantine write. */
  quarantine: (failures: RowFailure[]) => Promise<void>;
}

export interface SetBasedPlan {
  transform: StagedTransform;
  /** Rows the judges rejected so far: cast failures and rule failures. */
  readonly rejected: { casts: number; rules: number };
  /** The engine's own failure raised inside the sink (a data-quality stop), to report as it is. */
  readonly failure: { error: unknown } | undefined;
}

type CastOp = Extract<TransformOp, { op: 'cast' }>;

/** Why this chain cannot run set-based (undefined when it can), from its shape alone. */
export function setBasedRefusal(spec: EngineTaskSpec, sink: StagedTransformSink): string | undefined {
  const transforms = spec.stages.filter((s) => s.kind === 'transform');
  if (transforms.length > 1) return 'more than one transform task';
  const firstValidate = spec.stages.findIndex((s) => s.kind === 'validate');
  if (firstValidate >= 0 && spec.stages.slice(firstValidate).some((s) => s.kind === 'transform')) {
    return 'a transform after a validation';
  }
  const ops = transforms[0]?.kind === 'transform' ? transforms[0].operations : [];
  const casts: CastOp[] = [];
  let dedupe: string[] | undefined;
  for (const op of ops) {
    if (op.op === 'cast') {
      if (dedupe) return 'a cast after dedupe';
      if (casts.some((c) => c.column === op.column)) return `column "${op.column}" is cast twice`;
      casts.push(op);
    } else if (op.op === 'dedupe') {
      if (dedupe) return 'two dedupe operations';
      dedupe = op.key;
    } else return `the ${op.op} operation runs on rows`;
  }
  const cast = new Set(casts.map((c) => c.column));
  for (const stage of spec.stages) {
    if (stage.kind !== 'validate') continue;
    for (const rule of stage.rules) {
      const refusal = ruleRefusal(rule, cast, dedupe);
      if (refusal) return refusal;
    }
  }
  return sink.cannotStage({ casts: casts.map((c) => ({ column: c.column, to: c.to })) });
}

function ruleRefusal(rule: ValidationRule, cast: ReadonlySet<string>, dedupe: readonly string[] | undefined) {
  switch (rule.rule) {
    case 'not-null':
    case 'row-count':
      return undefined;
    case 'pattern':
      return cast.has(rule.column) ? `a pattern on cast column "${rule.column}"` : undefined;
    case 'unique': {
      const same = dedupe && dedupe.length === rule.columns.length && rule.columns.every((c) => dedupe.includes(c));
      return same ? undefined : 'a unique rule on other columns than dedupe';
    }
    case 'range':
      return 'a range rule';
  }
}

/** The StagedTransform of an eligible chain (`setBasedRefusal` said yes), judging with the row path's own code. */
export function setBasedPlan(ctx: SetBasedContext): SetBasedPlan {
  const { spec } = ctx;
  const transformStage = spec.stages.find((s) => s.kind === 'transform');
  const ops = transformStage?.kind === 'transform' ? transformStage.operations : [];
  const castOps = ops.filter((op): op is CastOp => op.op === 'cast');
  const dedupe = ops.find((op) => op.op === 'dedupe');
  // Casts come first, so their numbers (`transform #2 (cast)`) are the row path's.
  const casts: TransformPipeline = compileTransforms(castOps, ctx.inputColumns, ctx.transforms);
  const validators = spec.stages.flatMap((stage) =>
    stage.kind === 'validate'
      ? [{ validator: compileValidation(stage.rules, casts.outputColumns, ctx.validation), onFailure: stage.onFailure }]
      : [],
  );
  const maxInput = ctx.validation?.maxPatternInput ?? 10_000;
  const rejected = { casts: 0, rules: 0 };
  const rejectedAfter = validators.map(() => 0);
  let failure: { error: unknown } | undefined;

  const settle = async (failures: RowFailure[], policy: OnFailure, what: string): Promise<void> => {
    if (failures.length === 0) return;
    if (policy === 'fail') {
      const error = new DataQualityError(
        `${failures.length} row(s) ${what}`,
        failures.slice(0, ctx.maxFailuresReported),
      );
      failure = { error };
      throw error;
    }
    await ctx.quarantine(failures);
  };
  const ordinals = (rows: readonly StagedRow[], failures: readonly RowFailure[]): number[] => {
    const byPosition = new Map(rows.map((r) => [r.position, r.ordinal]));
    return failures.map((f) => byPosition.get(f.position)!);
  };

  const transform: StagedTransform = {
    casts: castOps.map((c) => ({ column: c.column, to: c.to })),
    ...(dedupe?.op === 'dedupe' ? { dedupeKey: dedupe.key } : {}),
    notNull: [...new Set(validatorRules(spec, 'not-null').map((r) => r.column))],
    patterns: validatorRules(spec, 'pattern').map((r) => ({ column: r.column, regex: r.regex, maxInput })),
    async judgeCasts(rows) {
      const out = casts.apply(
        rows.map((r) => r.row),
        rows.map((r) => r.position),
      );
      await settle(out.failures, ctx.transformPolicy, 'failed a transform');
      rejected.casts += out.failures.length;
      const convertible = out.positions[0];
      return {
        rejected: ordinals(rows, out.failures),
        ...(convertible ? { needsRowPath: `${convertible}: a value converts, but not in a form SQL checks` } : {}),
      };
    },
    async judgeRules(rows) {
      const cast = casts.apply(
        rows.map((r) => r.row),
        rows.map((r) => r.position),
      );
      // SQL proved these casts; a failure here would be a gap in that proof, not bad data.
      if (cast.failures.length > 0)
        throw new Error(`set-based path: SQL accepted a cast the engine refuses: ${cast.failures[0].reason}`);
      let current: Row[] = cast.rows;
      let positions: string[] = cast.positions;
      const failed: RowFailure[] = [];
      for (let s = 0; s < validators.length; s++) {
        const out = validators[s].validator.check(current, positions);
        await settle(out.failures, validators[s].onFailure, 'broke a validation rule');
        for (let earlier = 0; earlier < s; earlier++) rejectedAfter[earlier] += out.failures.length;
        failed.push(...out.failures);
        current = out.rows;
        positions = out.positions;
      }
      rejected.rules += failed.length;
      return ordinals(rows, failed);
    },
    finish(rowsToLoad) {
      const wrong = validators.flatMap((v, s) => v.validator.finish(rowsToLoad + rejectedAfter[s]));
      if (wrong.length > 0) {
        const error = new DataQualityError(wrong.join('; '), []);
        failure = { error };
        throw error;
      }
    },
  };
  return {
    transform,
    rejected,
    get failure() {
      return failure;
    },
  };
}

function validatorRules<K extends ValidationRule['rule']>(
  spec: EngineTaskSpec,
  kind: K,
): Array<Extract<ValidationRule, { rule: K }>> {
  return spec.stages.flatMap((stage) =>
    stage.kind === 'validate'
      ? stage.rules.filter((r): r is Extract<ValidationRule, { rule: K }> => r.rule === kind)
      : [],
  );
}
