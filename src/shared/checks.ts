import { InvalidInputError, type FieldProblem } from './errors.js';

/** Small input checks that collect every problem and throw them together, naming each field. */
export class Checks {
  private problems: FieldProblem[] = [];

  text(field: string, value: string | undefined | null, opts: { min?: number; max: number }): this {
    if (value === undefined || value === null) return this;
    const length = value.trim().length;
    if (length < (opts.min ?? 0)) {
      this.problems.push({
        field,
        message: opts.min === 1 ? 'must not be empty' : `must have at least ${opts.min} characters`,
      });
    } else if (value.length > opts.max) {
      this.problems.push({ field, message: `must be at most ${opts.max} characters (got ${value.length})` });
    }
    return this;
  }

  that(ok: boolean, field: string, message: string): this {
    if (!ok) this.problems.push({ field, message });
    return this;
  }

  done(): void {
    if (this.problems.length) throw new InvalidInputError(this.problems);
  }
}

export const LIMITS = {
  subject: 200,
  description: 20_000,
  comment: 50_000,
  reason: 2_000,
  tag: 50,
  tags: 30,
} as const;
