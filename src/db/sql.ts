/**
 * A PostgreSQL array literal for one bound parameter (`= any(?::uuid[])`). Knex expands a JS array
 * binding into a list of parameters, so arrays travel as a single literal instead.
 */
export function sqlArray(values: readonly (string | number)[]): string {
  return `{${values.map((v) => `"${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`;
}
