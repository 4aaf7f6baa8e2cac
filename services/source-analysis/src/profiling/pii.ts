import { isIPv4, isIPv6 } from 'node:net';
import type { LogicalType, PiiKind } from '@aoe/contracts';

export interface PiiHint {
  kind: PiiKind;
  evidence: 'name' | 'values' | 'name-and-values';
  confidence: number;
}

/**
 * Column names that suggest personal data, by kind. Names are compared as
 * lower-case words (`customerEmail` → `customer email`), so `email`,
 * `contact_email` and `EmailAddress` all match and `emailed_count` does not.
 */
const NAME_PATTERNS: ReadonlyArray<{ kind: PiiKind; pattern: RegExp; confidence: number }> = [
  { kind: 'email', pattern: /(^| )(e ?mail|email address|mail address)( |$)/, confidence: 0.7 },
  {
    kind: 'phone',
    pattern: /(^| )(phone|telephone|tel|mobile|cell|fax|msisdn)( (number|no|nr))?( |$)/,
    confidence: 0.7,
  },
  {
    kind: 'card-number',
    pattern: /(^| )(card|cc|credit card|pan)( (number|no|nr|num))?( |$)|(^| )ccn( |$)/,
    confidence: 0.6,
  },
  {
    kind: 'person-name',
    pattern:
      /(^| )(first|last|middle|given|family|full|maiden|sur|nick)( ?name)( |$)|(^| )(surname|forename|firstname|lastname|fullname)( |$)|^(customer|contact|person|user|employee|patient|holder|account holder|cardholder|owner|recipient|sender|author) name$|(^| )name (first|last|middle|given|family|full)$/,
    confidence: 0.7,
  },
  /** A bare `name` is as often a product's or a company's. */
  { kind: 'person-name', pattern: /^name$/, confidence: 0.4 },
  {
    kind: 'ip-address',
    pattern: /(^| )(ip|ipv4|ipv6|ip address|client ip|remote addr|remote ip|remote address)( |$)/,
    confidence: 0.7,
  },
  {
    kind: 'national-id',
    pattern:
      /(^| )(ssn|social security( number)?|national id|nin|passport( number| no)?|tax id|tin|nhs number|id card)( |$)/,
    confidence: 0.7,
  },
  {
    kind: 'address',
    pattern:
      /(^| )(address|street|street address|address line ?\d?|postcode|post code|postal code|zip|zip code|zipcode)( |$)/,
    confidence: 0.5,
  },
];

/** Words that make an otherwise matching name about something else (`ip_country`, `email_count`, `mac_address`). */
const NOT_PII_WORDS =
  /(^| )(count|counts|domain|verified|opt|optin|type|status|flag|enabled|sent|template|hash|country|mac|contract|file|table)( |$)/;

/** Column name as lower-case words: `customerEmail` → `customer email`, `IP_ADDRESS` → `ip address`. */
export function nameWords(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
/** A phone number as people write it: an optional +, digits with spaces, dots, dashes or parentheses. */
const PHONE = /^\+?\(?[0-9]{1,4}\)?(?:[ .-]?\(?[0-9]{1,5}\)?){1,6}$/;
const DATE_LIKE = /^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/;
const CARD = /^[0-9]{4}(?:[ -]?[0-9]{2,6}){2,4}$|^[0-9]{13,19}$/;
const SSN = /^(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}$/;

/** The Luhn checksum of a digit string: what every payment card number satisfies. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

function isEmail(value: string): boolean {
  return value.length <= 254 && EMAIL.test(value);
}

function isPhone(value: string): boolean {
  if (!PHONE.test(value) || DATE_LIKE.test(value) || isIpAddress(value)) return false;
  const digits = value.replace(/\D/g, '').length;
  // Plain digit runs are ids or amounts unless they start with + (E.164).
  const formatted = value.startsWith('+') || /[ ().-]/.test(value);
  return formatted && digits >= 7 && digits <= 15;
}

function isCardNumber(value: string): boolean {
  if (!CARD.test(value)) return false;
  const digits = value.replace(/\D/g, '');
  return digits.length >= 13 && digits.length <= 19 && /^[2-6]/.test(digits) && luhnValid(digits);
}

/** net.isIP, without IPv6's large expression where it cannot match: every IPv6 address has a colon. */
function isIpAddress(value: string): boolean {
  return isIPv4(value) || (value.includes(':') && isIPv6(value));
}

function isNationalId(value: string): boolean {
  return SSN.test(value);
}

/** Value checks, by kind; each is applied to the column's sampled non-null values as text. */
const VALUE_CHECKS: ReadonlyArray<{ kind: PiiKind; test: (value: string) => boolean; types: readonly LogicalType[] }> =
  [
    { kind: 'email', test: isEmail, types: ['string'] },
    { kind: 'phone', test: isPhone, types: ['string'] },
    { kind: 'card-number', test: isCardNumber, types: ['string', 'bigint', 'decimal'] },
    { kind: 'ip-address', test: isIpAddress, types: ['string'] },
    { kind: 'national-id', test: isNationalId, types: ['string'] },
  ];

/** Share of values that must match for values alone to suggest a kind (a column with a few stray emails is not an email column). */
export const VALUE_MATCH_THRESHOLD = 0.8;
/** With a name that already suggests the kind, fewer matching values confirm it. */
export const NAMED_VALUE_MATCH_THRESHOLD = 0.3;
/** Values looked at per column. */
export const MAX_PII_VALUES = 2_000;

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * PII hints for one column: from its name (a word list per kind) and from its
 * sampled values (email syntax, phone-number shapes with 7–15 digits, 13–19
 * digit numbers passing the Luhn check, IPv4/IPv6 addresses, US SSNs).
 *
 * Confidence: name alone = the pattern's weight (0.5–0.7); values alone = the
 * share of values that match (at least 0.8 to be reported) × 0.95; name and
 * values = 0.6 + 0.4 × the share (at least 0.3 to count); a name whose
 * checkable values mostly do not match keeps half its weight. Person names and
 * addresses are recognised by name only.
 */
export function detectPii(name: string, type: LogicalType, values: readonly string[]): PiiHint[] {
  const words = nameWords(name);
  const excluded = NOT_PII_WORDS.test(words);
  const byName = new Map<PiiKind, number>();
  if (!excluded) {
    for (const { kind, pattern, confidence } of NAME_PATTERNS) {
      if (pattern.test(words) && !byName.has(kind)) byName.set(kind, confidence);
    }
  }
  const hints: PiiHint[] = [];
  const count = Math.min(values.length, MAX_PII_VALUES);
  let checked: string[] | undefined;
  const valueKinds = new Set<PiiKind>();
  for (const check of VALUE_CHECKS) {
    if (!check.types.includes(type) || count === 0) continue;
    checked ??= values.slice(0, count).map((value) => value.trim());
    // Without the name, a share under the threshold reports nothing: stop once it cannot be reached.
    const named = byName.has(check.kind);
    let matches = 0;
    let misses = 0;
    for (const value of checked) {
      if (check.test(value)) matches += 1;
      else if (!named && (count - ++misses) / count < VALUE_MATCH_THRESHOLD) break;
    }
    const share = matches / count;
    if (byName.has(check.kind) && share >= NAMED_VALUE_MATCH_THRESHOLD) {
      hints.push({ kind: check.kind, evidence: 'name-and-values', confidence: round2(Math.min(1, 0.6 + 0.4 * share)) });
      valueKinds.add(check.kind);
    } else if (byName.has(check.kind)) {
      // The name says so but the values mostly do not: keep the hint, with less confidence.
      byName.set(check.kind, round2(byName.get(check.kind)! / 2));
    } else if (share >= VALUE_MATCH_THRESHOLD) {
      hints.push({ kind: check.kind, evidence: 'values', confidence: round2(share * 0.95) });
      valueKinds.add(check.kind);
    }
  }
  for (const [kind, confidence] of byName) {
    if (!valueKinds.has(kind)) hints.push({ kind, evidence: 'name', confidence });
  }
  return hints.sort((a, b) => b.confidence - a.confidence);
}
