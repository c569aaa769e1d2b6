/**
 * Errors a user can cause. Use cases throw these; the API layer turns each into a typed error in the
 * mutation payload (or a GraphQL error with the same code for queries). Anything else is unexpected:
 * it is logged with its cause and reaches the client as INTERNAL_SERVER_ERROR without details.
 */
export type UserErrorCode =
  | 'NOT_FOUND'
  | 'NOT_PERMITTED'
  | 'INVALID_INPUT'
  | 'STALE_VERSION'
  | 'TRANSITION_NOT_ALLOWED'
  | 'REASON_REQUIRED'
  | 'TICKET_CLOSED'
  | 'CONFLICT'
  | 'CHANNEL_CLOSED';

export abstract class DomainError extends Error {
  abstract readonly code: UserErrorCode;
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(
    readonly entity: string,
    readonly key: string,
  ) {
    super(`${entity} ${key} was not found`);
  }
}

export class NotPermittedError extends DomainError {
  readonly code = 'NOT_PERMITTED';
  constructor(readonly action: string) {
    super(`You are not permitted to ${action}`);
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

export class InvalidInputError extends DomainError {
  readonly code = 'INVALID_INPUT';
  constructor(readonly problems: FieldProblem[]) {
    super(problems.map((p) => `${p.field}: ${p.message}`).join('; '));
  }
  static field(field: string, message: string): InvalidInputError {
    return new InvalidInputError([{ field, message }]);
  }
}

export class StaleVersionError extends DomainError {
  readonly code = 'STALE_VERSION';
  constructor(
    readonly expectedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      `The ticket changed since you loaded it (you had version ${expectedVersion}, it is now ${currentVersion}); reload and try again`,
    );
  }
}

export class TransitionNotAllowedError extends DomainError {
  readonly code = 'TRANSITION_NOT_ALLOWED';
  constructor(
    readonly from: string,
    readonly to: string,
    readonly allowedTargets: string[],
  ) {
    super(
      `Moving from "${from}" to "${to}" is not allowed` +
        (allowedTargets.length
          ? `; allowed: ${allowedTargets.join(', ')}`
          : '; no move is allowed from here'),
    );
  }
}

export class ReasonRequiredError extends DomainError {
  readonly code = 'REASON_REQUIRED';
  constructor(
    readonly from: string,
    readonly to: string,
  ) {
    super(`Moving from "${from}" to "${to}" requires a reason`);
  }
}

export class TicketClosedError extends DomainError {
  readonly code = 'TICKET_CLOSED';
  constructor(readonly reference: string) {
    super(`Ticket ${reference} is closed and cannot be changed`);
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  constructor(
    message: string,
    /** The input field at fault, when one is (an import's `externalId`). */
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * The ticket's channel is closed now (issue 16, seed 003: live chat "Available during business
 * hours"): the workflow's channel hours refuse it outside its calendar's business time. `opensAt` is
 * the next instant the channel is open (undefined when its calendar never opens again).
 */
export class ChannelClosedError extends DomainError {
  readonly code = 'CHANNEL_CLOSED';
  constructor(
    readonly channel: string,
    readonly opensAt: Date | undefined,
  ) {
    super(
      `The ${channel} channel is closed now` +
        (opensAt ? `; it opens at ${opensAt.toISOString()}` : '') +
        '. Choose another channel, or come back then.',
    );
  }
}
