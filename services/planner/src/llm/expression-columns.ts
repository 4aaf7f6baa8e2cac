/**
 * The columns an expression of the engine's safe expression language reads,
 * found by scanning its tokens the way the engine's lexer does (it cannot be
 * imported here: a service depends on libs and contracts only, and the engine is
 * not among the planner's). The engine parses the expression again before it
 * runs; this scan is for the plan check: which columns, which functions, and
 * nothing outside the grammar (`;`, comments, backticks, `$1`).
 */
export interface ExpressionScan {
  columns: string[];
  functions: string[];
  problems: string[];
}

const KEYWORDS = new Set(['and', 'or', 'not', 'is', 'null', 'true', 'false', 'in']);

/** The engine's function whitelist (libs/engine/src/expression/functions.ts). */
export const EXPRESSION_FUNCTIONS: readonly string[] = [
  'lower',
  'upper',
  'trim',
  'length',
  'coalesce',
  'concat',
  'substr',
  'round',
  'abs',
  'to_number',
];

const OPERATORS_2 = new Set(['<=', '>=', '!=', '<>', '||']);
const OPERATORS_1 = new Set('=<>+-*/%(),');

export function scanExpression(text: string): ExpressionScan {
  const columns = new Set<string>();
  const functions = new Set<string>();
  const problems: string[] = [];
  let i = 0;
  const isIdentStart = (c: string) => /[A-Za-z_]/.test(c);
  const isIdentPart = (c: string) => /[A-Za-z0-9_$]/.test(c);

  while (i < text.length && problems.length === 0) {
    const c = text[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(text[i + 1] ?? ''))) {
      while (i < text.length && /[0-9.eE]/.test(text[i])) {
        if ((text[i] === 'e' || text[i] === 'E') && /[+-]/.test(text[i + 1] ?? '')) i++;
        i++;
      }
      continue;
    }
    if (isIdentStart(c)) {
      const start = i;
      while (i < text.length && isIdentPart(text[i])) i++;
      const word = text.slice(start, i);
      let j = i;
      while (j < text.length && /\s/.test(text[j])) j++;
      if (KEYWORDS.has(word.toLowerCase())) continue;
      if (text[j] === '(') functions.add(word.toLowerCase());
      else columns.add(word);
      continue;
    }
    if (c === "'" || c === '"') {
      let value = '';
      i++;
      let closed = false;
      while (i < text.length) {
        if (text[i] === c) {
          if (text[i + 1] === c) {
            value += c;
            i += 2;
            continue;
          }
          i++;
          closed = true;
          break;
        }
        value += text[i++];
      }
      if (!closed) problems.push(c === "'" ? 'unterminated string literal' : 'unterminated quoted identifier');
      else if (c === '"') columns.add(value);
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '--' || two === '/*') {
      problems.push(`"${two}" starts a SQL comment, which expressions do not have`);
      break;
    }
    if (OPERATORS_2.has(two)) {
      i += 2;
      continue;
    }
    if (OPERATORS_1.has(c)) {
      i++;
      continue;
    }
    problems.push(`character "${c}" is not part of the expression language`);
  }
  for (const fn of functions) {
    if (!EXPRESSION_FUNCTIONS.includes(fn)) problems.push(`function ${fn}() is not allowed`);
  }
  return { columns: [...columns], functions: [...functions], problems };
}
