import { InvalidInputError } from '../shared/errors.js';
import { UUID } from './global-id.js';

/**
 * Keyset cursors: base64url of a JSON array holding the values of the ordering's columns at a row.
 * Every cursor is decoded against its ordering and each value checked against its column's kind
 * before it reaches SQL, so a cursor made up by hand (or one of another ordering) is an INVALID_INPUT
 * naming the argument, never a database error.
 */
export type CursorValueKind = 'smallint' | 'timestamp' | 'uuid';

/** ISO 8601 in UTC, as cursors are written (`Date.prototype.toISOString`), years 1000 to 9999. */
const ISO_UTC = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

export const encodeCursor = (values: readonly unknown[]): string =>
  Buffer.from(JSON.stringify(values)).toString('base64url');

function fits(kind: CursorValueKind, value: unknown): boolean {
  switch (kind) {
    case 'smallint':
      return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= 32767;
    case 'timestamp':
      return typeof value === 'string' && ISO_UTC.test(value) && !Number.isNaN(Date.parse(value));
    case 'uuid':
      return typeof value === 'string' && UUID.test(value);
  }
}

/**
 * The values of a cursor of an ordering whose columns are of `kinds`.
 * @throws InvalidInputError on `field` when it is not a cursor of that ordering
 */
export function decodeCursor(cursor: string, kinds: readonly CursorValueKind[], field = 'after'): unknown[] {
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (Array.isArray(values) && values.length === kinds.length && kinds.every((k, i) => fits(k, values[i])))
    return values;
  throw InvalidInputError.field(field, 'is not a cursor of this ordering');
}
