/**
 * Exact money arithmetic in nano-dollars (1e-9 USD). Prices and costs are integers here so sums
 * never drift; floats appear only in `nanosToUsd`, which is for display.
 */

export const NANOS_PER_USD = 1_000_000_000n;
/** List prices are quoted per million tokens. */
export const TOKENS_PER_PRICE_UNIT = 1_000_000n;

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:e([+-]?\d+))?$/i;
// Larger exponents are never a real price; refusing them keeps BigInt powers small.
const MAX_EXPONENT = 30;

/**
 * Converts a decimal USD amount ("2.50", 0.075, "1e-9") to nano-dollars exactly. Numbers go through
 * `String()`, the shortest decimal that round-trips, so 0.075 is read as "0.075" and not as its
 * binary expansion. Throws RangeError for text that is not a decimal or is finer than a nano-dollar.
 */
export function usdToNanos(usd: string | number): bigint {
  let text: string;
  if (typeof usd === 'number') {
    if (!Number.isFinite(usd)) throw new RangeError(`not a finite USD amount: ${usd}`);
    text = String(usd);
  } else {
    text = usd.trim();
  }
  const match = DECIMAL.exec(text);
  const whole = match?.[2] ?? '';
  const fraction = match?.[3] ?? '';
  if (!match || (whole === '' && fraction === '')) throw new RangeError(`not a decimal USD amount: '${String(usd)}'`);
  const exponent = match[4] === undefined ? 0 : Number(match[4]);
  if (Math.abs(exponent) > MAX_EXPONENT) throw new RangeError(`USD amount out of range: '${String(usd)}'`);
  const sign = match[1] === '-' ? -1n : 1n;
  const digits = whole + fraction;
  // value = digits × 10^-(fraction.length - exponent); nanos = value × 10^9
  const shift = 9 - (fraction.length - exponent);
  if (shift >= 0) return sign * BigInt(digits) * 10n ** BigInt(shift);
  const keep = Math.max(0, digits.length + shift);
  if (/[1-9]/.test(digits.slice(keep))) throw new RangeError(`USD amount finer than a nano-dollar: '${String(usd)}'`);
  return sign * BigInt(digits.slice(0, keep) || '0');
}

/** For display and metrics only: a float cannot hold every nano-dollar amount exactly. */
export function nanosToUsd(nanos: number | bigint): number {
  return Number(nanos) / 1e9;
}

/**
 * Formats nano-dollars as "$1.50" or "-$0.000000075". Without `fractionDigits` the amount is shown
 * exactly (at least two decimals, trailing zeros trimmed); with it, rounded half away from zero.
 */
export function formatUsd(nanos: number | bigint, fractionDigits?: number): string {
  const value = toBigInt(nanos);
  const negative = value < 0n;
  let abs = negative ? -value : value;
  let shown = 9;
  if (fractionDigits !== undefined) {
    if (!Number.isInteger(fractionDigits) || fractionDigits < 0 || fractionDigits > 9) {
      throw new RangeError(`fractionDigits must be an integer from 0 to 9, got ${fractionDigits}`);
    }
    const unit = 10n ** BigInt(9 - fractionDigits);
    abs = divideRoundHalfUp(abs, unit) * unit;
    shown = fractionDigits;
  }
  let fraction = (abs % NANOS_PER_USD).toString().padStart(9, '0').slice(0, shown);
  if (fractionDigits === undefined) fraction = fraction.replace(/0+$/, '').padEnd(2, '0');
  const body = fraction === '' ? `${abs / NANOS_PER_USD}` : `${abs / NANOS_PER_USD}.${fraction}`;
  return `${negative && abs !== 0n ? '-' : ''}$${body}`;
}

/** Cost of `tokens` at a price per million tokens, rounded half-up once, at the end. */
export function tokensCostNanos(tokens: number, nanosPerMillionTokens: bigint): bigint {
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new RangeError(`token count must be a non-negative safe integer, got ${tokens}`);
  if (nanosPerMillionTokens < 0n) throw new RangeError('price must not be negative');
  return divideRoundHalfUp(BigInt(tokens) * nanosPerMillionTokens, TOKENS_PER_PRICE_UNIT);
}

/** Non-negative integer division rounding half-up. */
function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  return (numerator + denominator / 2n) / denominator;
}

function toBigInt(nanos: number | bigint): bigint {
  if (typeof nanos === 'bigint') return nanos;
  if (!Number.isSafeInteger(nanos)) throw new RangeError(`nano-dollar amount must be a safe integer, got ${nanos}`);
  return BigInt(nanos);
}
