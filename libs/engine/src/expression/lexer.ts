import { ExpressionError, positionIn } from './expression-error';

export type TokenKind = 'number' | 'string' | 'identifier' | 'quoted-identifier' | 'operator' | 'end';

export interface Token {
  kind: TokenKind;
  /** The identifier (unquoted: as written), the string's value, the operator, or the number's text. */
  text: string;
  /** Numbers only. */
  number?: number;
  offset: number;
}

export interface LexerLimits {
  maxLength: number;
  maxTokens: number;
}

const OPERATORS_2 = new Set(['<=', '>=', '!=', '<>', '||']);
const OPERATORS_1 = new Set(['=', '<', '>', '+', '-', '*', '/', '%', '(', ')', ',']);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || isDigit(c) || c === 36;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

/**
 * Splits expression text into tokens. Anything outside the grammar (`;`,
 * backticks, `$1`, comments) is an error at its position: nothing is skipped.
 */
export function tokenize(text: string, limits: LexerLimits): Token[] {
  const fail = (message: string, offset: number): never => {
    throw new ExpressionError(text, [{ code: 'syntax', message, position: positionIn(text, offset) }]);
  };
  if (text.length > limits.maxLength) {
    throw new ExpressionError(text, [
      {
        code: 'limit',
        message: `expression is ${text.length} characters long; the limit is ${limits.maxLength}`,
        position: positionIn(text, limits.maxLength),
      },
    ]);
  }

  const tokens: Token[] = [];
  let i = 0;
  const push = (token: Token): void => {
    if (tokens.length >= limits.maxTokens) {
      throw new ExpressionError(text, [
        {
          code: 'limit',
          message: `expression has more than ${limits.maxTokens} tokens`,
          position: positionIn(text, token.offset),
        },
      ]);
    }
    tokens.push(token);
  };

  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;

    if (isDigit(c) || (c === 46 && isDigit(text.charCodeAt(i + 1)))) {
      while (isDigit(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 46) {
        i++;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      if (text.charCodeAt(i) === 101 || text.charCodeAt(i) === 69) {
        let j = i + 1;
        if (text.charCodeAt(j) === 43 || text.charCodeAt(j) === 45) j++;
        if (!isDigit(text.charCodeAt(j))) fail('malformed number exponent', i);
        i = j;
        while (isDigit(text.charCodeAt(i))) i++;
      }
      if (isIdentStart(text.charCodeAt(i))) fail(`unexpected "${text[i]}" after a number`, i);
      const raw = text.slice(start, i);
      const value = Number(raw);
      if (!Number.isFinite(value)) fail(`number ${raw} is out of range`, start);
      push({ kind: 'number', text: raw, number: value, offset: start });
      continue;
    }

    if (isIdentStart(c)) {
      while (i < text.length && isIdentPart(text.charCodeAt(i))) i++;
      push({ kind: 'identifier', text: text.slice(start, i), offset: start });
      continue;
    }

    if (c === 39 /* ' */ || c === 34 /* " */) {
      const quote = text[i];
      let value = '';
      i++;
      for (;;) {
        if (i >= text.length) {
          fail(quote === "'" ? 'unterminated string literal' : 'unterminated quoted identifier', start);
        }
        if (text[i] === quote) {
          if (text[i + 1] === quote) {
            value += quote;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += text[i];
        i++;
      }
      if (quote === '"' && value.length === 0) fail('empty quoted identifier', start);
      push({ kind: quote === "'" ? 'string' : 'quoted-identifier', text: value, offset: start });
      continue;
    }

    const two = text.slice(i, i + 2);
    if (OPERATORS_2.has(two)) {
      push({ kind: 'operator', text: two === '<>' ? '!=' : two, offset: start });
      i += 2;
      continue;
    }
    if (text[i] === '=' && text[i + 1] === '=') fail('use "=" for equality, not "=="', start);
    if (two === '--' || two === '/*') {
      fail(`"${two}" starts a SQL comment, which expressions do not have (for two minus signs write "- -")`, start);
    }
    if (OPERATORS_1.has(text[i])) {
      push({ kind: 'operator', text: text[i], offset: start });
      i++;
      continue;
    }

    const shown = text.codePointAt(i) ?? c;
    const printable =
      shown >= 32 && shown !== 127 ? String.fromCodePoint(shown) : `\\u${shown.toString(16).padStart(4, '0')}`;
    fail(`unexpected character "${printable}"`, start);
  }
  tokens.push({ kind: 'end', text: '', offset: text.length });
  return tokens;
}
