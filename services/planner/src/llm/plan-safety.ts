import {
  PipelinePlan,
  TargetPolicy,
  TargetSpec,
  type ColumnProfile,
  type PlanTask,
  type SourceProfile,
  type TransformOp,
  type ValidationRule,
} from '@aoe/contracts';
import { canonicalJson, type Verdict } from '@aoe/agents';
import type { PlanningInput } from '../planning-input';
import { PII_CONFIDENCE } from '../rules/profile-facts';
import { scanExpression } from './expression-columns';

export const TASK_KINDS: readonly PlanTask['kind'][] = ['extract', 'transform', 'validate', 'load'];
export const TRANSFORM_OPS: readonly TransformOp['op'][] = [
  'select',
  'rename',
  'cast',
  'filter',
  'derive',
  'dedupe',
  'mask',
];

export interface PlanSafetyOptions {
  /** Task kinds a plan may have (default: all four). */
  taskKinds?: readonly string[];
  /** Transform operations a plan may use (default: all of the contract's). */
  transformOps?: readonly string[];
  /** A PII hint at or above this confidence must be masked when the policy says so (default: the rules planner's). */
  piiConfidence?: number;
}

type MaskStyle = Extract<TransformOp, { op: 'mask' }>['style'];
/** 0: the raw value; 1: partly masked; 2: hashed or redacted. */
type Strength = 0 | 1 | 2;
const STRENGTH: Record<MaskStyle, Strength> = { partial: 1, hash: 2, redact: 2 };
const STRICTNESS = { quarantine: 0, fail: 1 } as const;

/** A column flowing through the plan: which source columns it carries, and how masked each one is. */
type ColumnState = Map<string, Strength>;
type Columns = Map<string, ColumnState>;

/** What a statement of SQL looks like, wherever a string of the plan holds one. */
const SQL_STATEMENT =
  /\b(select\s+(?:[\w"*]|distinct\b)|insert\s+into|delete\s+from|update\s+[\w"]+\s+set|drop\s+(?:table|schema|database|view|index|function)|alter\s+(?:table|schema|database|role|user)|create\s+(?:table|schema|database|view|function|role|user|index)|truncate\s+(?:table\s+)?[\w"]+|grant\s+\w+|revoke\s+\w+|copy\s+[\w"]+\s+(?:from|to)|union\s+(?:all\s+)?select|exec(?:ute)?\s+\w+)/i;

/**
 * Whether a plan (from a model, or from rules) may run for this input:
 *
 * - it parses as a PipelinePlan and is the plan asked for: same pipeline, source,
 *   version, target and policy (a proposal cannot send data anywhere else);
 * - only allowed task kinds and transform operations; no raw SQL in any string;
 *   expressions stay inside the expression language and its function whitelist;
 * - one extract feeding every load; every column a task names exists at that
 *   point (a source column, or one renamed or derived earlier); an incremental
 *   extract reads a cursor candidate;
 * - load modes fit the keys and the extract: `merge` needs a key that the profile
 *   (or the rules plan) gives, `append` needs an incremental read, `replace` a full one;
 * - the policy holds: no PII column (nor anything derived from it) reaches a
 *   load unless hashed or redacted when `maskPii` (`partial` shows part of it); no
 *   schema evolution wider than allowed;
 * - against `rulesPlan`: every mask stays (as strong), every validation rule
 *   stays (as strict), and the row filters are the same (none removed, none added).
 */
export function validatePlanSafety(
  input: PlanningInput,
  plan: unknown,
  rulesPlan?: PipelinePlan,
  options: PlanSafetyOptions = {},
): Verdict {
  const taskKinds = options.taskKinds ?? TASK_KINDS;
  const transformOps = options.transformOps ?? TRANSFORM_OPS;
  const reasons: string[] = [...allowedShape(plan, taskKinds, transformOps), ...rawSql(plan, input.profile)];

  const parsed = PipelinePlan.safeParse(plan);
  if (!parsed.success) {
    for (const issue of parsed.error.issues.slice(0, 10)) {
      reasons.push(`not a valid plan: ${issue.path.join('.') || '(plan)'}: ${issue.message}`);
    }
    return verdict(reasons);
  }
  const candidate = parsed.data;

  for (const field of ['pipelineId', 'sourceId', 'version'] as const) {
    if (candidate[field] !== input[field]) {
      reasons.push(`${field} must be ${JSON.stringify(input[field])}, not ${JSON.stringify(candidate[field])}`);
    }
  }
  // Compared with defaults applied on both sides: the plan was parsed, the input may not have been.
  if (canonicalJson(candidate.target) !== canonicalJson(TargetSpec.safeParse(input.target).data ?? input.target)) {
    reasons.push('the target is set by the pipeline; a plan may not change it');
  }
  if (canonicalJson(candidate.policy) !== canonicalJson(TargetPolicy.safeParse(input.policy).data ?? input.policy)) {
    reasons.push("the policy is set by the target's owner; a plan may not change it");
  }

  const analysis = analyse(candidate, input, options.piiConfidence ?? PII_CONFIDENCE);
  reasons.push(...analysis.reasons);
  if (rulesPlan) reasons.push(...againstRules(analysis, rulesPlan, input));
  return verdict(reasons);
}

function verdict(reasons: string[]): Verdict {
  const unique = [...new Set(reasons)];
  return unique.length === 0 ? { ok: true } : { ok: false, reasons: unique };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Task kinds and operations, checked on the raw proposal so the reason names what is not allowed. */
function allowedShape(plan: unknown, taskKinds: readonly string[], transformOps: readonly string[]): string[] {
  const reasons: string[] = [];
  if (!isRecord(plan) || !Array.isArray(plan.tasks)) return reasons;
  for (const [index, task] of (plan.tasks as unknown[]).entries()) {
    if (!isRecord(task)) continue;
    const name = typeof task.id === 'string' ? `task "${task.id}"` : `task ${index}`;
    if (typeof task.kind !== 'string' || !taskKinds.includes(task.kind)) {
      reasons.push(`${name}: task kind ${JSON.stringify(task.kind)} is not allowed (allowed: ${taskKinds.join(', ')})`);
      continue;
    }
    const operations = isRecord(task.params) ? task.params.operations : undefined;
    if (task.kind !== 'transform' || !Array.isArray(operations)) continue;
    for (const operation of operations as unknown[]) {
      const op = isRecord(operation) ? operation.op : undefined;
      if (typeof op !== 'string' || !transformOps.includes(op)) {
        reasons.push(`${name}: operation ${JSON.stringify(op)} is not allowed (allowed: ${transformOps.join(', ')})`);
      }
    }
  }
  return reasons;
}

/** Every string of the plan outside the (fixed) target: none may hold a SQL statement or comment. */
function rawSql(plan: unknown, profile: SourceProfile): string[] {
  const reasons: string[] = [];
  const columnNames = new Set(profile.columns.map((c) => c.name));
  const visit = (value: unknown, path: string[]): void => {
    if (typeof value === 'string') {
      if (columnNames.has(value)) return;
      const isExpression = path.at(-1) === 'expr';
      if (SQL_STATEMENT.test(value) || (isExpression && /;|--|\/\*/.test(value))) {
        reasons.push(`raw SQL is not allowed (${path.join('.')}): ${JSON.stringify(value.slice(0, 120))}`);
      }
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => visit(item, [...path, String(i)]));
    else if (isRecord(value)) {
      for (const [key, inner] of Object.entries(value)) {
        if (path.length === 0 && (key === 'target' || key === 'policy')) continue;
        visit(inner, [...path, key]);
      }
    }
  };
  visit(plan, []);
  return reasons;
}

interface Analysis {
  reasons: string[];
  /** Columns arriving at each load, by load task id. */
  atLoad: Map<string, Columns>;
  filters: string[];
  rules: Array<{ rule: ValidationRule; onFailure: 'fail' | 'quarantine' }>;
  masks: Array<{ origin: string; strength: Strength }>;
}

function analyse(plan: PipelinePlan, input: PlanningInput, piiConfidence: number): Analysis {
  const { profile, policy } = input;
  const reasons: string[] = [];
  const byId = new Map(plan.tasks.map((t) => [t.id, t]));
  const out = new Map<string, Columns>();
  const result: Analysis = { reasons, atLoad: new Map(), filters: [], rules: [], masks: [] };

  const extracts = plan.tasks.filter((t) => t.kind === 'extract');
  const loads = plan.tasks.filter((t) => t.kind === 'load');
  if (extracts.length !== 1) reasons.push(`a plan has exactly one extract task, not ${extracts.length}`);
  if (loads.length === 0) reasons.push('a plan has at least one load task');

  for (const task of topological(plan.tasks)) {
    const where = `task "${task.id}"`;
    if (task.kind === 'extract') {
      if (task.dependsOn.length > 0) reasons.push(`${where}: an extract depends on no task`);
      checkExtract(task.params, profile, where, reasons);
      out.set(task.id, new Map(profile.columns.map((c) => [c.name, new Map([[c.name, 0]])])));
      continue;
    }
    if (task.dependsOn.length === 0)
      reasons.push(`${where}: a ${task.kind} task must depend on the task that feeds it`);
    const columns = joinInputs(task.dependsOn.map((id) => out.get(id) ?? new Map<string, ColumnState>()));
    const has = (column: string, what: string): boolean => {
      if (columns.has(column)) return true;
      reasons.push(`${where}: ${what} "${column}" does not exist at this point`);
      return false;
    };

    switch (task.kind) {
      case 'transform':
        for (const op of task.params.operations) applyOp(op, columns, has, where, reasons, result);
        break;
      case 'validate':
        for (const rule of task.params.rules) {
          for (const column of ruleColumns(rule)) has(column, 'validated column');
          if (rule.rule === 'pattern') checkRegex(rule.regex, where, reasons);
          result.rules.push({ rule, onFailure: task.params.onFailure });
        }
        break;
      case 'load': {
        checkLoad(task, columns, has, byId, input, where, reasons);
        result.atLoad.set(task.id, columns);
        if (policy.maskPii) {
          for (const column of profile.columns) {
            const kind = piiKind(column, piiConfidence);
            if (kind) {
              requireMasked(
                columns,
                column.name,
                2,
                `is PII (${kind}) and the policy requires it hashed or redacted`,
                where,
                reasons,
              );
            }
          }
        }
        break;
      }
    }
    out.set(task.id, columns);
  }
  return result;
}

function checkExtract(
  params: Extract<PlanTask, { kind: 'extract' }>['params'],
  profile: SourceProfile,
  where: string,
  reasons: string[],
): void {
  const { cursorColumn, mode } = params;
  if (mode === 'incremental' && !cursorColumn) reasons.push(`${where}: an incremental extract needs a cursorColumn`);
  if (cursorColumn !== undefined && !profile.cursorCandidates.includes(cursorColumn)) {
    reasons.push(`${where}: cursor column "${cursorColumn}" is not one of the profile's cursor candidates`);
  }
}

function applyOp(
  op: TransformOp,
  columns: Columns,
  has: (column: string, what: string) => boolean,
  where: string,
  reasons: string[],
  result: Analysis,
): void {
  switch (op.op) {
    case 'select': {
      const kept = new Map<string, ColumnState>();
      for (const name of op.columns) if (has(name, 'selected column')) kept.set(name, columns.get(name)!);
      columns.clear();
      for (const [name, state] of kept) columns.set(name, state);
      return;
    }
    case 'rename':
      if (!has(op.from, 'renamed column')) return;
      if (columns.has(op.to) && op.to !== op.from)
        reasons.push(`${where}: rename to "${op.to}" would overwrite an existing column`);
      columns.set(op.to, columns.get(op.from)!);
      if (op.to !== op.from) columns.delete(op.from);
      return;
    case 'cast':
      has(op.column, 'cast column');
      return;
    case 'filter': {
      result.filters.push(normalise(op.expr));
      expressionColumns(op.expr, has, where, reasons);
      return;
    }
    case 'derive': {
      const state: ColumnState = new Map();
      for (const name of expressionColumns(op.expr, has, where, reasons)) {
        for (const [origin, strength] of columns.get(name) ?? []) {
          state.set(origin, Math.min(strength, state.get(origin) ?? 2) as Strength);
        }
      }
      columns.set(op.column, state);
      return;
    }
    case 'dedupe':
      for (const key of op.key) has(key, 'dedupe key column');
      return;
    case 'mask': {
      if (!has(op.column, 'masked column')) return;
      const state = columns.get(op.column)!;
      const masked: ColumnState = new Map();
      for (const [origin, strength] of state) {
        const after = Math.max(strength, STRENGTH[op.style]) as Strength;
        masked.set(origin, after);
        result.masks.push({ origin, strength: after });
      }
      columns.set(op.column, masked);
      return;
    }
  }
}

/** The columns an expression reads; those that do not exist, and anything outside the language, are reasons. */
function expressionColumns(
  expr: string,
  has: (column: string, what: string) => boolean,
  where: string,
  reasons: string[],
): string[] {
  const scan = scanExpression(expr);
  for (const problem of scan.problems)
    reasons.push(`${where}: expression ${JSON.stringify(expr.slice(0, 120))}: ${problem}`);
  return scan.columns.filter((column) => has(column, 'column'));
}

function checkLoad(
  task: Extract<PlanTask, { kind: 'load' }>,
  columns: Columns,
  has: (column: string, what: string) => boolean,
  byId: Map<string, PlanTask>,
  input: PlanningInput,
  where: string,
  reasons: string[],
): void {
  const { mode, primaryKey, schemaEvolution } = task.params;
  const chain = upstream(task, byId);
  const extracts = chain.filter((t): t is Extract<PlanTask, { kind: 'extract' }> => t.kind === 'extract');
  if (extracts.length !== 1) reasons.push(`${where}: a load is fed by exactly one extract, not ${extracts.length}`);
  const readMode = extracts[0]?.params.mode;

  for (const key of primaryKey ?? []) has(key, 'key column');
  if (mode === 'merge') {
    if (input.target.kind !== 'postgres' && input.target.kind !== 'warehouse') {
      reasons.push(`${where}: the ${input.target.kind} target cannot merge (files and objects cannot upsert)`);
    }
    if (!primaryKey?.length) reasons.push(`${where}: a merge load needs a primaryKey`);
    else {
      const origins = primaryKey.map((key) => soleOrigin(columns.get(key)));
      const candidates = input.profile.primaryKeyCandidates.map((c) => canonicalJson([...c].sort()));
      const sourceKey = origins.every((o): o is string => o !== undefined)
        ? canonicalJson([...origins].sort())
        : undefined;
      if (!sourceKey || !candidates.includes(sourceKey)) {
        reasons.push(`${where}: merge key (${primaryKey.join(', ')}) is not a key candidate of the source profile`);
      }
    }
  }
  if (mode === 'append' && readMode === 'full') {
    reasons.push(`${where}: an append load after a full extract would load every row again on every run`);
  }
  if (mode === 'replace' && readMode === 'incremental') {
    reasons.push(`${where}: a replace load after an incremental extract would drop every row loaded before`);
  }
  if (input.policy.schemaEvolution === 'additive' && schemaEvolution !== 'additive') {
    reasons.push(`${where}: schemaEvolution "${schemaEvolution}" is wider than the policy allows ("additive")`);
  }
}

/** The one source column a column is (renamed or not): undefined when derived from several or none. */
function soleOrigin(state: ColumnState | undefined): string | undefined {
  if (!state || state.size !== 1) return undefined;
  const [[origin, strength]] = [...state];
  return strength === 0 ? origin : undefined;
}

function requireMasked(
  columns: Columns,
  origin: string,
  strength: Strength,
  why: string,
  where: string,
  reasons: string[],
): void {
  for (const [name, state] of columns) {
    const carried = state.get(origin);
    if (carried !== undefined && carried < strength) {
      const what = name === origin ? `column "${name}"` : `column "${name}" (from "${origin}")`;
      reasons.push(
        `${where}: ${what} reaches the load ${carried === 0 ? 'unmasked' : 'only partly masked'}; it ${why}`,
      );
    }
  }
}

function againstRules(analysis: Analysis, rulesPlan: PipelinePlan, input: PlanningInput): string[] {
  const reasons: string[] = [];
  const rules = analyse(rulesPlan, input, 0);

  const required = new Map<string, Strength>();
  for (const { origin, strength } of rules.masks)
    required.set(origin, Math.max(strength, required.get(origin) ?? 0) as Strength);
  for (const [origin, strength] of required) {
    const style = strength === 2 ? 'hashed or redacted' : 'masked';
    for (const [loadId, columns] of analysis.atLoad) {
      requireMasked(
        columns,
        origin,
        strength,
        `is ${style} by the rules plan, and a model may not drop that`,
        `task "${loadId}"`,
        reasons,
      );
    }
  }

  for (const { rule, onFailure } of rules.rules) {
    const key = canonicalJson(rule);
    const kept = analysis.rules.filter((r) => canonicalJson(r.rule) === key);
    if (kept.length === 0) reasons.push(`the rules plan validates ${key}; the proposal dropped it`);
    else if (kept.every((r) => STRICTNESS[r.onFailure] < STRICTNESS[onFailure])) {
      reasons.push(`the rules plan fails the run on ${key}; the proposal only quarantines`);
    }
  }

  const remaining = [...analysis.filters];
  for (const filter of rules.filters) {
    const at = remaining.indexOf(filter);
    if (at === -1)
      reasons.push(`the rules plan filters rows by ${JSON.stringify(filter)}; the proposal removed or changed it`);
    else remaining.splice(at, 1);
  }
  for (const filter of remaining) {
    reasons.push(
      `the proposal adds the row filter ${JSON.stringify(filter)}: a model may not drop rows the rules plan loads`,
    );
  }
  return reasons;
}

function piiKind(column: ColumnProfile, threshold: number): string | undefined {
  return column.piiHints.filter((h) => h.confidence >= threshold).sort((a, b) => b.confidence - a.confidence)[0]?.kind;
}

function ruleColumns(rule: ValidationRule): string[] {
  switch (rule.rule) {
    case 'not-null':
    case 'range':
    case 'pattern':
      return [rule.column];
    case 'unique':
      return rule.columns;
    case 'row-count':
      return [];
  }
}

function checkRegex(regex: string, where: string, reasons: string[]): void {
  try {
    new RegExp(regex);
  } catch {
    reasons.push(`${where}: pattern ${JSON.stringify(regex.slice(0, 120))} is not a valid regular expression`);
  }
}

/** The columns a task receives: those every input has, each carrying what any input carries. */
function joinInputs(inputs: Columns[]): Columns {
  if (inputs.length === 0) return new Map();
  const [first, ...rest] = inputs;
  const joined: Columns = new Map();
  for (const [name, state] of first) {
    if (!rest.every((other) => other.has(name))) continue;
    const merged: ColumnState = new Map(state);
    for (const other of rest) {
      for (const [origin, strength] of other.get(name)!) {
        merged.set(origin, Math.min(strength, merged.get(origin) ?? 2) as Strength);
      }
    }
    joined.set(name, merged);
  }
  return joined;
}

/** Tasks after the tasks they depend on (the plan is a DAG: the contract checked it). */
function topological(tasks: readonly PlanTask[]): PlanTask[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const ordered: PlanTask[] = [];
  const seen = new Set<string>();
  const visit = (task: PlanTask): void => {
    if (seen.has(task.id)) return;
    seen.add(task.id);
    for (const dep of task.dependsOn) {
      const parent = byId.get(dep);
      if (parent) visit(parent);
    }
    ordered.push(task);
  };
  tasks.forEach(visit);
  return ordered;
}

/** Every task a task depends on, directly or not. */
function upstream(task: PlanTask, byId: Map<string, PlanTask>): PlanTask[] {
  const found = new Map<string, PlanTask>();
  const stack = [...task.dependsOn];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const dep = byId.get(id);
    if (!dep || found.has(id)) continue;
    found.set(id, dep);
    stack.push(...dep.dependsOn);
  }
  return [...found.values()];
}

function normalise(expr: string): string {
  return expr.trim().replace(/\s+/g, ' ');
}
