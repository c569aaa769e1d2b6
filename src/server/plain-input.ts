/**
 * GraphQL leaves unset optional input fields null; stored definitions (workflows, calendars, SLA
 * policies) omit them. Returns a plain copy without the nulls.
 */
export function plainInput<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (v === null ? undefined : v)));
}
