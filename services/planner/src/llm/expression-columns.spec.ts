import { scanExpression } from './expression-columns';

describe('scanExpression', () => {
  it('finds columns and functions, skipping keywords, literals and numbers', () => {
    expect(
      scanExpression(`lower(email) = 'a@b.c' and "Order Total" >= 1.5e3 or amount is not null and x in (1, 2)`),
    ).toEqual({
      columns: ['email', 'Order Total', 'amount', 'x'],
      functions: ['lower'],
      problems: [],
    });
    expect(scanExpression(`note != 'it''s' || "a""b" <> .5`).columns).toEqual(['note', 'a"b']);
  });

  it.each([
    ['amount > 0; DROP TABLE users', 'character ";" is not part of the expression language'],
    ['amount > 0 -- comment', '"--" starts a SQL comment'],
    ['amount /* x */ > 0', '"/*" starts a SQL comment'],
    ["name = 'open", 'unterminated string literal'],
    ['"open = 1', 'unterminated quoted identifier'],
    ['`id` = 1', 'character "`" is not part of the expression language'],
    ['pg_sleep(10) > 0', 'function pg_sleep() is not allowed'],
  ])('reports %s', (expr, problem) => {
    expect(scanExpression(expr).problems).toEqual([expect.stringContaining(problem)]);
  });
});
