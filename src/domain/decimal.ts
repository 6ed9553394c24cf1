/**
 * Output that a person or another system reads rounds to the venue's precision (8 decimals
 * where unknown) and is never in exponent notation.
 */
export const DEFAULT_DECIMALS = 8;

/** Formats a number as a plain decimal with at most `decimals` places, trailing zeros trimmed. */
export function formatDecimal(value: number, decimals = DEFAULT_DECIMALS): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot format ${value} as a decimal`);
  // toFixed never uses exponent notation below 1e21; larger values are not market data.
  let text = value.toFixed(decimals);
  if (text.includes('.')) text = text.replace(/\.?0+$/, '');
  return text === '-0' ? '0' : text;
}

/** Rounds to `decimals` places, the way output does; for comparing float results with venue figures. */
export function roundTo(value: number, decimals = DEFAULT_DECIMALS): number {
  return Number(value.toFixed(decimals));
}
