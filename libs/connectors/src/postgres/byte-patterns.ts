/**
 * Byte matchers for the pattern rules the planner writes most (its
 * `EMAIL_PATTERN`), so the set-based path's field check needs no string and
 * no regular expression per value. Each equals its regular expression on
 * ASCII text without the `refused` characters, and refuses any other text
 * (`byte-patterns.spec.ts`).
 */

export type ByteMatcher = (bytes: Uint8Array, start: number, end: number) => boolean;

const OTHER = 0;
const REFUSED = 1;
const AT = 2;
const DOT = 3;

/** `^[^@\s]+@[^@\s]+\.[^@\s]+$`: one @ after a byte, then a dot with a byte on each side. */
function email(refused: string): ByteMatcher {
  const classes = byteClasses({ '@': AT, '.': DOT }, refused + ' \t\n\v\f\r');
  return (b, s, e) => {
    let at = -1;
    // The first dot at least two bytes after the @.
    let dot = -1;
    for (let i = s; i < e; i++) {
      const k = classes[b[i]];
      if (k === OTHER) continue;
      if (k === DOT) {
        if (dot < 0 && at >= 0 && i >= at + 2) dot = i;
      } else if (k === REFUSED || at >= 0) return false;
      else at = i;
    }
    return at > s && dot >= 0 && dot < e - 1;
  };
}

/** Byte classes: `special` characters, then non-ASCII bytes and `refused` ones (which win). */
function byteClasses(special: Readonly<Record<string, number>>, refused: string): Uint8Array {
  const classes = new Uint8Array(256);
  for (const [c, k] of Object.entries(special)) classes[c.charCodeAt(0)] = k;
  classes.fill(REFUSED, 0x80);
  for (const c of refused) classes[c.charCodeAt(0)] = REFUSED;
  return classes;
}

const MATCHERS: Readonly<Record<string, (refused: string) => ByteMatcher>> = {
  '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$': email,
};

/**
 * A byte matcher equal to the regular expression `source` on ASCII text
 * without the `refused` characters (ASCII), when there is one.
 */
export function bytePatternFor(source: string, refused = ''): ByteMatcher | undefined {
  return MATCHERS[source]?.(refused);
}
