import { InvalidInputError } from '../shared/errors.js';
import { LIMITS } from '../shared/checks.js';

/** Tags are trimmed, kept unique and in the order first given; each has a length limit. */
export function normaliseTags(tags: string[], field = 'tags'): string[] {
  const out = [...new Set(tags.map((t) => t.trim()).filter(Boolean))];
  const tooLong = out.find((t) => t.length > LIMITS.tag);
  if (tooLong)
    throw InvalidInputError.field(
      field,
      `a tag has at most ${LIMITS.tag} characters ("${tooLong.slice(0, 20)}…")`,
    );
  if (out.length > LIMITS.tags)
    throw InvalidInputError.field(field, `a ticket has at most ${LIMITS.tags} tags`);
  return out;
}
