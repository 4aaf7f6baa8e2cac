import { seeded } from '../../test/fixtures/cast-samples';
import { bytePatternFor } from './byte-patterns';

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

/** Random texts over the characters the e-mail pattern looks at. */
function texts(count: number): string[] {
  const random = seeded(3);
  const alphabet = 'ab.@@ \t\n\v\f\r,"x.\u00e9\u00a0';
  const out = ['a@b.c', 'a@b.', 'a@.c', '@b.c', 'a@b', 'a.b@c', 'a@b..c', 'a@@b.c', 'a@b.c.', 'a b@c.d', ''];
  for (let n = 0; n < count; n++) {
    const length = Math.floor(random() * 10);
    let text = '';
    for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
    out.push(text, `user${n}@example.com`.slice(0, 4 + (n % 16)));
  }
  return out;
}

describe('bytePatternFor', () => {
  it('has no matcher for other patterns', () => {
    expect(bytePatternFor('^[a-z]+$')).toBeUndefined();
  });

  // (A refused . or @, as a delimiter, leaves no text to match.)
  it.each(['', ',"\r\n', ';"\r\n', '.', '@'])(
    'the e-mail matcher equals its regular expression on ASCII text without %j',
    (refused) => {
      const matches = bytePatternFor(EMAIL, refused)!;
      const regex = new RegExp(EMAIL);
      const corpus = texts(30_000);
      expect(corpus.filter((text) => regex.test(text)).length).toBeGreaterThan(1000);
      const wrong = corpus.filter((text) => {
        const bytes = Buffer.from(`@.${text}.@`, 'latin1');
        const expected =
          [...text].every((c) => c.charCodeAt(0) < 0x80) &&
          ![...refused].some((c) => text.includes(c)) &&
          regex.test(text);
        return matches(bytes, 2, 2 + text.length) !== expected;
      });
      expect(wrong).toEqual([]);
    },
  );
});
