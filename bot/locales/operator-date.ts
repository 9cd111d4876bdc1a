/** A moment for operators, the same in every locale: `2025-03-01 12:30 UTC`. */
export function operatorDate(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
