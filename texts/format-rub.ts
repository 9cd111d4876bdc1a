/** Separators of one locale's number format. */
export interface RubFormat {
  decimalSeparator: string;
  groupSeparator: string;
}

/**
 * Formats kopecks as roubles with integer math only: `24900` → `249 ₽`, `24950` → `249,50 ₽`
 * (with `,` as decimal separator), `104900` → `1 049 ₽` (with a space as group separator).
 * Whole amounts drop the kopecks.
 *
 * @throws RangeError when `kopecks` is not a safe integer
 */
export function formatRub(kopecks: number, format: RubFormat): string {
  if (!Number.isSafeInteger(kopecks)) throw new RangeError('kopecks must be a safe integer');
  const sign = kopecks < 0 ? '-' : '';
  const absolute = Math.abs(kopecks);
  const rest = absolute % 100;
  const roubles = String((absolute - rest) / 100).replace(/\B(?=(\d{3})+(?!\d))/g, format.groupSeparator);
  const fraction = rest === 0 ? '' : `${format.decimalSeparator}${String(rest).padStart(2, '0')}`;
  return `${sign}${roubles}${fraction} ₽`;
}
