/** Russian plural form for `count`: `russianPlural(2, ['день', 'дня', 'дней'])` → `дня`. */
export function russianPlural(count: number, [one, few, many]: readonly [string, string, string]): string {
  const lastTwo = Math.abs(count) % 100;
  const last = lastTwo % 10;
  if (lastTwo >= 11 && lastTwo <= 14) return many;
  if (last === 1) return one;
  if (last >= 2 && last <= 4) return few;
  return many;
}

/** `5 дней`, `1 день`, `2 дня`. */
export function russianDays(count: number): string {
  return `${count} ${russianPlural(count, ['день', 'дня', 'дней'])}`;
}
