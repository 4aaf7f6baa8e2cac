/**
 * Refuses regular expressions that can backtrack catastrophically, before any
 * row meets them. JavaScript's engine backtracks and cannot be interrupted, so
 * one hostile pattern on one long value would stall the worker.
 *
 * Refused: a repeated group that itself contains a quantifier (`(a+)+`,
 * `(\w*)*`, `(x?y+){2,}`), a repeated alternation whose branches can start
 * alike (`(a|aa)*`, `(\d|1)+`), and back-references (`(a)\1`), which are not
 * regular at all. This is a conservative syntactic check (after safe-regex);
 * values are also capped in length before matching.
 */
export function unsafePatternReasons(source: string): string[] {
  const reasons: string[] = [];
  interface Frame {
    hasQuantifier: boolean;
    hasAlternation: boolean;
    /** The first token of each branch: a literal character, or '' for anything else (class, escape, group, dot). */
    firsts: string[];
    atBranchStart: boolean;
  }
  const newFrame = (): Frame => ({ hasQuantifier: false, hasAlternation: false, firsts: [], atBranchStart: true });
  const stack: Frame[] = [newFrame()];
  const top = (): Frame => stack[stack.length - 1];
  const token = (first: string): void => {
    const frame = top();
    if (frame.atBranchStart) {
      frame.firsts.push(first);
      frame.atBranchStart = false;
    }
  };

  /** Reads a quantifier at i: its length and whether it repeats without a small bound. */
  const quantifierAt = (i: number): { length: number; repeats: boolean } | undefined => {
    const c = source[i];
    let length = 0;
    let repeats = false;
    if (c === '*' || c === '+') {
      length = 1;
      repeats = true;
    } else if (c === '?') {
      length = 1;
    } else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i));
      if (!m) return undefined;
      length = m[0].length;
      const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
      // Small bounded repetition ({2}, {1,3}) stays polynomial; the value length cap covers it.
      repeats = max >= 10;
    } else {
      return undefined;
    }
    if (source[i + length] === '?') length++;
    return { length, repeats };
  };

  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1];
      if (n !== undefined && /[1-9]/.test(n)) reasons.push(`back-reference \\${n} is not allowed`);
      if (n === 'k' && source[i + 2] === '<') reasons.push('named back-reference is not allowed');
      token(n !== undefined && /[^\w\s]/.test(n) ? n : '');
      i += 2;
    } else if (c === '[') {
      let j = i + 1;
      if (source[j] === '^') j++;
      if (source[j] === ']') j++;
      while (j < source.length && source[j] !== ']') j += source[j] === '\\' ? 2 : 1;
      token('');
      i = j + 1;
    } else if (c === '(') {
      token('');
      stack.push(newFrame());
      i++;
      if (source[i] === '?') {
        const m = /^\?(:|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(source.slice(i));
        i += m ? m[0].length : 1;
      }
    } else if (c === ')') {
      const frame = stack.length > 1 ? stack.pop()! : top();
      const q = quantifierAt(i + 1);
      if (q?.repeats) {
        if (frame.hasQuantifier)
          reasons.push(`nested quantifier: a repeated group contains a quantifier (near offset ${i})`);
        if (frame.hasAlternation && ambiguous(frame.firsts)) {
          reasons.push(`repeated alternation whose branches can match alike (near offset ${i})`);
        }
      }
      const parent = top();
      parent.hasQuantifier = parent.hasQuantifier || frame.hasQuantifier || q !== undefined;
      i += 1 + (q?.length ?? 0);
    } else if (c === '|') {
      const frame = top();
      frame.hasAlternation = true;
      frame.atBranchStart = true;
      i++;
    } else {
      const q = quantifierAt(i);
      if (q) {
        top().hasQuantifier = true;
        i += q.length;
      } else {
        token(c === '.' || c === '^' || c === '$' ? '' : c);
        i++;
      }
    }
  }
  return [...new Set(reasons)];
}

function ambiguous(firsts: string[]): boolean {
  if (firsts.some((f) => f === '')) return true;
  return new Set(firsts).size !== firsts.length;
}
