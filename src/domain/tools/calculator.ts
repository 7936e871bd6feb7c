/**
 * The `calculator` tool's evaluator: a recursive-descent parser over a closed grammar. Model
 * output is untrusted input, so nothing here reaches `eval`, `Function` or object properties;
 * names resolve only through the fixed tables below.
 *
 *   expression := term (('+' | '-') term)*
 *   term       := unary (('*' | '/' | '%') unary)*
 *   unary      := ('+' | '-') unary | power
 *   power      := primary ('^' unary)?            right-associative; -2^2 = -(2^2)
 *   primary    := number | constant | function '(' expression (',' expression)* ')' | '(' expression ')'
 */

export const MAX_EXPRESSION_LENGTH = 500;
export const MAX_NESTING_DEPTH = 64;

export class CalculatorError extends Error {
  constructor(
    message: string,
    /** 1-based character position the problem was found at. */
    readonly position: number,
  ) {
    super(`${message} (at character ${position})`);
    this.name = 'CalculatorError';
  }
}

const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
]);

interface MathFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  readonly apply: (args: number[]) => number;
}

const unary = (fn: (x: number) => number): MathFunction => ({ minArgs: 1, maxArgs: 1, apply: (args) => fn(args[0] ?? NaN) });

const FUNCTIONS: ReadonlyMap<string, MathFunction> = new Map([
  ['sqrt', unary(Math.sqrt)],
  ['abs', unary(Math.abs)],
  ['round', unary(Math.round)],
  ['floor', unary(Math.floor)],
  ['ceil', unary(Math.ceil)],
  ['log', unary(Math.log10)],
  ['ln', unary(Math.log)],
  ['exp', unary(Math.exp)],
  ['sin', unary(Math.sin)],
  ['cos', unary(Math.cos)],
  ['tan', unary(Math.tan)],
  ['min', { minArgs: 1, maxArgs: Infinity, apply: (args) => Math.min(...args) }],
  ['max', { minArgs: 1, maxArgs: Infinity, apply: (args) => Math.max(...args) }],
]);

type Token =
  | { kind: 'number'; value: number; position: number }
  | { kind: 'name'; name: string; position: number }
  | { kind: 'symbol'; symbol: string; position: number }
  | { kind: 'end'; position: number };

const SYMBOLS = new Set(['+', '-', '*', '/', '%', '^', '(', ')', ',']);

/** Evaluates an arithmetic expression; throws `CalculatorError` for anything it cannot evaluate. */
export function evaluateExpression(expression: string): number {
  if (typeof expression !== 'string') throw new CalculatorError('the expression must be a string', 1);
  if (expression.length > MAX_EXPRESSION_LENGTH) {
    throw new CalculatorError(`the expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, MAX_EXPRESSION_LENGTH + 1);
  }
  const result = new Parser(tokenize(expression)).parse();
  return result === 0 ? 0 : result; // no -0 in answers
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    const position = i + 1;
    if (/\s/.test(char)) {
      i++;
    } else if (/[0-9.]/.test(char)) {
      const match = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i));
      if (match === null) throw new CalculatorError(`malformed number`, position);
      tokens.push({ kind: 'number', value: Number(match[0]), position });
      i += match[0].length;
    } else if (/[A-Za-z_]/.test(char)) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))?.[0] ?? char;
      tokens.push({ kind: 'name', name, position });
      i += name.length;
    } else if (SYMBOLS.has(char)) {
      tokens.push({ kind: 'symbol', symbol: char, position });
      i++;
    } else {
      throw new CalculatorError(`unexpected character ${JSON.stringify(char)}`, position);
    }
  }
  tokens.push({ kind: 'end', position: text.length + 1 });
  return tokens;
}

class Parser {
  private index = 0;
  private depth = 0;
  private readonly end: Token;

  constructor(private readonly tokens: readonly Token[]) {
    this.end = tokens[tokens.length - 1] ?? { kind: 'end', position: 1 };
  }

  parse(): number {
    if (this.peek().kind === 'end') throw new CalculatorError('the expression is empty', 1);
    const value = this.expression();
    const next = this.peek();
    if (next.kind !== 'end') throw new CalculatorError(`unexpected ${describe(next)}`, next.position);
    return value;
  }

  private expression(): number {
    let value = this.term();
    for (let op = this.symbolAhead('+', '-'); op !== undefined; op = this.symbolAhead('+', '-')) {
      this.index++;
      const right = this.term();
      value = finite(op.symbol === '+' ? value + right : value - right, op.position);
    }
    return value;
  }

  private term(): number {
    let value = this.unary();
    for (let op = this.symbolAhead('*', '/', '%'); op !== undefined; op = this.symbolAhead('*', '/', '%')) {
      this.index++;
      const right = this.unary();
      if (op.symbol !== '*' && right === 0) throw new CalculatorError('division by zero', op.position);
      value = finite(op.symbol === '*' ? value * right : op.symbol === '/' ? value / right : value % right, op.position);
    }
    return value;
  }

  private unary(): number {
    const sign = this.symbolAhead('+', '-');
    if (sign === undefined) return this.power();
    this.index++;
    const operand = this.nested(sign.position, () => this.unary());
    return sign.symbol === '-' ? -operand : operand;
  }

  private power(): number {
    const base = this.primary();
    const caret = this.symbolAhead('^');
    if (caret === undefined) return base;
    this.index++;
    const exponent = this.nested(caret.position, () => this.unary());
    return finite(base ** exponent, caret.position);
  }

  private primary(): number {
    const token = this.next();
    if (token.kind === 'number') return finite(token.value, token.position);
    if (token.kind === 'symbol' && token.symbol === '(') {
      const value = this.nested(token.position, () => this.expression());
      this.expect(')', token.position);
      return value;
    }
    if (token.kind === 'name') return this.named(token.name, token.position);
    throw new CalculatorError(token.kind === 'end' ? 'the expression ends too early' : `unexpected ${describe(token)}`, token.position);
  }

  private named(name: string, position: number): number {
    const fn = FUNCTIONS.get(name);
    if (fn === undefined) {
      const constant = CONSTANTS.get(name);
      if (constant === undefined) throw new CalculatorError(`unknown name '${name}'`, position);
      return constant;
    }
    const open = this.symbolAhead('(');
    if (open === undefined) throw new CalculatorError(`function '${name}' needs parentheses, as in ${name}(x)`, position);
    this.index++;
    const args = this.nested(open.position, () => {
      if (this.symbolAhead(')') !== undefined) return [];
      const list = [this.expression()];
      while (this.symbolAhead(',') !== undefined) {
        this.index++;
        list.push(this.expression());
      }
      return list;
    });
    this.expect(')', open.position);
    if (args.length < fn.minArgs || args.length > fn.maxArgs) {
      const wanted = fn.maxArgs === fn.minArgs ? `${fn.minArgs}` : `at least ${fn.minArgs}`;
      throw new CalculatorError(`function '${name}' takes ${wanted} argument${fn.minArgs === 1 ? '' : 's'}, got ${args.length}`, position);
    }
    return finite(fn.apply(args), position);
  }

  /** Runs one nested construct, refusing to go deeper than MAX_NESTING_DEPTH. */
  private nested<T>(position: number, parse: () => T): T {
    if (++this.depth > MAX_NESTING_DEPTH) {
      throw new CalculatorError(`the expression nests deeper than ${MAX_NESTING_DEPTH} levels`, position);
    }
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }

  private expect(symbol: string, openedAt: number): void {
    const token = this.next();
    if (token.kind !== 'symbol' || token.symbol !== symbol) {
      const found = token.kind === 'end' ? 'the end' : describe(token);
      throw new CalculatorError(`expected '${symbol}' to close the '(' at character ${openedAt}, found ${found}`, token.position);
    }
  }

  private symbolAhead(...symbols: string[]): { symbol: string; position: number } | undefined {
    const token = this.peek();
    return token.kind === 'symbol' && symbols.includes(token.symbol) ? token : undefined;
  }

  private peek(): Token {
    // The token list always ends with an `end` token, and parsing never moves past it.
    return this.tokens[this.index] ?? this.end;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }
}

function finite(value: number, position: number): number {
  if (!Number.isFinite(value)) throw new CalculatorError('the result is not a finite number', position);
  return value;
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'number':
      return `number ${token.value}`;
    case 'name':
      return `name '${token.name}'`;
    case 'symbol':
      return `'${token.symbol}'`;
    case 'end':
      return 'end of expression';
  }
}
