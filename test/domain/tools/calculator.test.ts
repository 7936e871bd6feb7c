import { describe, expect, it } from 'vitest';
import { CalculatorError, evaluateExpression, MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH } from '../../../src/domain/tools/calculator';

function failure(expression: string): CalculatorError {
  try {
    evaluateExpression(expression);
  } catch (error) {
    expect(error).toBeInstanceOf(CalculatorError);
    return error as CalculatorError;
  }
  throw new Error(`expected ${JSON.stringify(expression)} to fail`);
}

describe('evaluateExpression', () => {
  it.each([
    ['1 + 2', 3],
    ['2 + 3 * 4', 14],
    ['(2 + 3) * 4', 20],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['2 ^ 10', 1024],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['(-2) ^ 2', 4],
    ['2 ^ -1', 0.5],
    ['--3', 3],
    ['+-+3', -3],
    ['3 * -2', -6],
    ['1.5', 1.5],
    ['.5 + 1.', 1.5],
    ['1e3', 1000],
    ['2.5E-2', 0.025],
    ['1e+2 * 2', 200],
    ['pi', Math.PI],
    ['e', Math.E],
    ['2 * pi', 2 * Math.PI],
    ['sqrt(16)', 4],
    ['abs(-3.5)', 3.5],
    ['round(2.5)', 3],
    ['floor(-1.5)', -2],
    ['ceil(1.2)', 2],
    ['min(3, 1, 2)', 1],
    ['max(3, 1, 2)', 3],
    ['max(4)', 4],
    ['log(1000)', 3],
    ['ln(e)', 1],
    ['exp(0)', 1],
    ['sin(0)', 0],
    ['cos(0)', 1],
    ['tan(0)', 0],
    ['sqrt(3^2 + 4^2)', 5],
    [' \t1\n+\n1 ', 2],
    ['-0', 0],
  ])('%s = %d', (expression, expected) => {
    expect(evaluateExpression(expression)).toBeCloseTo(expected, 12);
  });

  it('never returns negative zero', () => {
    expect(Object.is(evaluateExpression('-0'), 0)).toBe(true);
    expect(Object.is(evaluateExpression('0 * -1'), 0)).toBe(true);
  });

  it.each([
    ['1 / 0', 'division by zero', 3],
    ['5 % (2 - 2)', 'division by zero', 3],
    ['sqrt(-1)', 'not a finite number', 1],
    ['10 ^ 400', 'not a finite number', 4],
    ['1e400', 'not a finite number', 1],
    ['ln(0)', 'not a finite number', 1],
    ['', 'empty', 1],
    ['   ', 'empty', 1],
    ['1 +', 'ends too early', 4],
    ['(1 + 2', "expected ')'", 7],
    ['1 + 2)', "unexpected ')'", 6],
    ['2 3', 'unexpected number 3', 3],
    ['1.2.3', 'unexpected number 0.3', 4],
    ['2e', "unexpected name 'e'", 2],
    ['.', 'malformed number', 1],
    ['foo', "unknown name 'foo'", 1],
    ['sqrt', 'needs parentheses', 1],
    ['sqrt(1, 2)', 'takes 1 argument, got 2', 1],
    ['min()', 'takes at least 1 argument, got 0', 1],
    ['1 $ 2', 'unexpected character "$"', 3],
    ['1, 2', "unexpected ','", 2],
  ])('%j fails with %j at character %d', (expression, message, position) => {
    const error = failure(expression);
    expect(error.message).toContain(message);
    expect(error.position).toBe(position);
    expect(error.message).toContain(`(at character ${position})`);
  });

  describe('refuses malicious input', () => {
    it.each([
      'constructor',
      'constructor.constructor("return process")()',
      'process.exit()',
      'process.exit(1)',
      'require("fs")',
      '__proto__',
      'toString()',
      'hasOwnProperty',
      'valueOf(1)',
      'this',
      'globalThis',
      'eval("1")',
      'Function("return 1")()',
      'Math.PI',
      '1; process.exit()',
      '`1`',
      "'1'",
      '[1]',
      '{}',
      'x => x',
      'PI',
      'Sqrt(4)',
    ])('%j', (expression) => {
      failure(expression);
    });

    it('refuses input longer than the limit', () => {
      const longest = `1${'+1'.repeat(249)}`.padEnd(MAX_EXPRESSION_LENGTH, ' ');
      expect(longest).toHaveLength(MAX_EXPRESSION_LENGTH);
      expect(evaluateExpression(longest)).toBe(250);
      const error = failure(`${longest} `);
      expect(error.message).toContain('longer than 500 characters');
      expect(error.position).toBe(MAX_EXPRESSION_LENGTH + 1);
      expect(failure('1+'.repeat(100_000) + '1').message).toContain('longer than');
    });

    it('refuses nesting deeper than the limit', () => {
      const nest = (depth: number) => `${'('.repeat(depth)}1${')'.repeat(depth)}`;
      expect(evaluateExpression(nest(MAX_NESTING_DEPTH))).toBe(1);
      expect(failure(nest(MAX_NESTING_DEPTH + 1)).message).toContain('nests deeper than 64 levels');
      expect(failure(`${'-'.repeat(200)}1`).message).toContain('nests deeper');
      expect(failure(`${'abs('.repeat(80)}1${')'.repeat(80)}`).message).toContain('nests deeper');
      expect(failure(`${'1^'.repeat(100)}1`).message).toContain('nests deeper');
      expect(failure('('.repeat(400)).message).toContain('nests deeper');
    });

    it('refuses non-string input', () => {
      expect(() => evaluateExpression(42 as unknown as string)).toThrow(CalculatorError);
    });
  });
});
