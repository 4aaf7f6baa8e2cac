import type { ColumnProfile, PiiKind, TargetPolicy, TransformOp } from '@aoe/contracts';
import type { ProfileFacts } from './profile-facts';

export interface TransformChoice {
  operations: TransformOp[];
  /** Columns the plan masks (their values leave the transform as hashes or redactions). */
  masked: Set<string>;
  reasons: string[];
}

type MaskStyle = Extract<TransformOp, { op: 'mask' }>['style'];

/** Kinds whose values identify someone when read: hashed, so they still join and count, never shown. */
const HASHED: readonly PiiKind[] = ['email', 'phone', 'card-number', 'national-id', 'ip-address'];
/** Text-like declared types: a column declared so but holding typed values is cast. */
const TEXT_TYPES = new Set([
  'text',
  'varchar',
  'character',
  'char',
  'bpchar',
  'string',
  'utf8',
  'citext',
  'nvarchar',
  'nchar',
  'name',
]);
const NOT_CAST = new Set<ColumnProfile['type']>(['string', 'json', 'binary']);

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ');

export function isTextDeclared(declaredType: string): boolean {
  const first = declaredType.toLowerCase().replace(/\(.*$/, '').trim().split(/\s+/)[0] ?? '';
  return TEXT_TYPES.has(first) || /\b(utf8|string)\b/i.test(declaredType);
}

/**
 * Casts first (so later ops see typed values), then dedupe on an unconfirmed
 * key, then masking: what reaches validation and the target is already masked.
 */
export function chooseTransforms(facts: ProfileFacts, policy: TargetPolicy): TransformChoice {
  const reasons: string[] = [];
  const masks = policy.maskPii ? maskOps(facts) : [];
  const masked = new Set(masks.map((m) => m.column));

  const casts: Array<Extract<TransformOp, { op: 'cast' }>> = [];
  const castWhy: string[] = [];
  for (const column of facts.profile.columns) {
    if (NOT_CAST.has(column.type) || masked.has(column.name)) continue;
    if (column.declaredType !== undefined && isTextDeclared(column.declaredType)) {
      casts.push({ op: 'cast', column: column.name, to: column.type });
      castWhy.push(`"${column.name}" (declared ${column.declaredType}, values are ${column.type})`);
    } else if (column.declaredType === undefined && facts.textCells) {
      casts.push({ op: 'cast', column: column.name, to: column.type });
      castWhy.push(`"${column.name}" to ${column.type}`);
    }
  }
  if (casts.length > 0) {
    const source = facts.textCells
      ? 'CSV cells arrive as text, so typed columns are cast: '
      : 'Text columns holding typed values are cast: ';
    reasons.push(`${source}${castWhy.join(', ')}.`);
  }

  const dedupe: TransformOp[] = [];
  if (facts.key && !facts.key.confirmed) {
    dedupe.push({ op: 'dedupe', key: facts.key.columns });
    reasons.push(`Rows are deduplicated on ${quoted(facts.key.columns)} because no constraint guarantees that key.`);
  }

  if (masks.length > 0) {
    const described = masks.map((m) => {
      const hint = facts.pii.find((p) => p.column === m.column)!;
      return `"${m.column}" (${hint.kind}, ${Math.round(hint.confidence * 100)}%) is ${m.style === 'hash' ? 'hashed' : 'redacted'}`;
    });
    reasons.push(`The policy asks for PII masking: ${described.join(', ')}.`);
  } else if (facts.pii.length > 0) {
    reasons.push(
      `PII-like columns (${quoted(facts.pii.map((p) => p.column))}) are loaded as they are: the target's policy does not ask for masking.`,
    );
  }
  if (facts.weakPii.length > 0 && policy.maskPii) {
    reasons.push(
      `Weak PII hints below the confidence bar are left unmasked: ${quoted(facts.weakPii.map((p) => p.column))}.`,
    );
  }

  return { operations: [...casts, ...dedupe, ...masks], masked, reasons };
}

/** Hash what identifies (and every key column, so merges still match); redact names and addresses. */
function maskOps(facts: ProfileFacts): Array<Extract<TransformOp, { op: 'mask' }>> {
  const keyColumns = new Set(facts.key?.columns ?? []);
  return facts.pii.map(({ column, kind }) => {
    const style: MaskStyle = keyColumns.has(column) || HASHED.includes(kind) ? 'hash' : 'redact';
    return { op: 'mask', column, style };
  });
}
