import { InvalidInputError } from '../shared/errors.js';

/**
 * Relay global ids: base64 of "Type:uuid". Fields typed ID accept a global id of the expected type or
 * the bare UUID, so both `node` clients and hand-written queries work.
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const toGlobalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

export function fromGlobalId(globalId: string): { type: string; id: string } | undefined {
  const text = Buffer.from(globalId, 'base64url').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const id = text.slice(i + 1);
  return UUID.test(id) ? { type: text.slice(0, i), id: id.toLowerCase() } : undefined;
}

/** The UUID behind `value` for an entity of `type`; a typed INVALID_INPUT naming `field` otherwise. */
export function parseId(type: string, value: string, field: string): string {
  if (UUID.test(value)) return value.toLowerCase();
  const parsed = fromGlobalId(value);
  if (parsed?.type === type) return parsed.id;
  throw InvalidInputError.field(field, `is not a ${type} id`);
}

export const parseOptionalId = (type: string, value: string | null | undefined, field: string) =>
  value === undefined || value === null ? value : parseId(type, value, field);
