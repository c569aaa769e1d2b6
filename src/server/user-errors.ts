import { Field, InterfaceType, Int, ObjectType, registerEnumType } from 'type-graphql';
import {
  DomainError,
  InvalidInputError,
  StaleVersionError,
  TransitionNotAllowedError,
  ReasonRequiredError,
  ChannelClosedError,
  ConflictError,
  type UserErrorCode,
} from '../shared/errors.js';

/**
 * Errors a user caused, returned in mutation payloads so clients can branch on `code` (or __typename)
 * and show `message`. A payload with errors has written nothing.
 */
const CODES: Record<UserErrorCode, UserErrorCode> = {
  NOT_FOUND: 'NOT_FOUND',
  NOT_PERMITTED: 'NOT_PERMITTED',
  INVALID_INPUT: 'INVALID_INPUT',
  STALE_VERSION: 'STALE_VERSION',
  TRANSITION_NOT_ALLOWED: 'TRANSITION_NOT_ALLOWED',
  REASON_REQUIRED: 'REASON_REQUIRED',
  TICKET_CLOSED: 'TICKET_CLOSED',
  CONFLICT: 'CONFLICT',
  CHANNEL_CLOSED: 'CHANNEL_CLOSED',
};
export const UserErrorCodeEnum = CODES;
registerEnumType(UserErrorCodeEnum, {
  name: 'UserErrorCode',
  description: 'What kind of mistake a user made',
});

@InterfaceType({
  description: 'A problem the user can fix; the mutation wrote nothing',
  resolveType: (e: { __typename?: string }) => e.__typename,
})
export abstract class UserError {
  @Field(() => UserErrorCodeEnum)
  code!: UserErrorCode;

  @Field({ description: 'A sentence a person can read' })
  message!: string;

  @Field(() => String, {
    nullable: true,
    description: 'The input field at fault, as a path (definition.statuses[2].key)',
  })
  field?: string | null;
}

const base = (typename: string, e: DomainError, field?: string) => ({
  __typename: typename,
  code: e.code,
  message: e.message,
  field: field ?? null,
});

@ObjectType({ implements: UserError })
export class NotFoundError extends UserError {}

@ObjectType({ implements: UserError })
export class NotPermittedError extends UserError {}

@ObjectType({ implements: UserError })
export class InvalidInputUserError extends UserError {}

@ObjectType({ implements: UserError })
export class ConflictUserError extends UserError {}

@ObjectType({ implements: UserError })
export class TicketClosedUserError extends UserError {}

@ObjectType({ implements: UserError })
export class ReasonRequiredUserError extends UserError {}

@ObjectType({ implements: UserError })
export class StaleVersionUserError extends UserError {
  @Field(() => Int)
  expectedVersion!: number;

  @Field(() => Int)
  currentVersion!: number;
}

@ObjectType({ implements: UserError })
export class TransitionNotAllowedUserError extends UserError {
  @Field()
  from!: string;

  @Field()
  to!: string;

  @Field(() => [String], { description: 'Status keys this actor may move the ticket to from here' })
  allowedTargets!: string[];
}

@ObjectType({ implements: UserError })
export class ChannelClosedUserError extends UserError {
  @Field({ description: 'The channel the ticket came through' })
  channel!: string;

  @Field(() => Date, { nullable: true, description: 'When the channel opens next' })
  opensAt?: Date;
}

export const USER_ERROR_TYPES = [
  ChannelClosedUserError,
  NotFoundError,
  NotPermittedError,
  InvalidInputUserError,
  ConflictUserError,
  TicketClosedUserError,
  ReasonRequiredUserError,
  StaleVersionUserError,
  TransitionNotAllowedUserError,
];

/** Maps a domain error to the typed errors of a payload. Exhaustive over the codes. */
export function toUserErrors(e: DomainError): UserError[] {
  if (e instanceof InvalidInputError) {
    return e.problems.map(
      (p) =>
        ({
          __typename: 'InvalidInputUserError',
          code: e.code,
          message: `${p.field}: ${p.message}`,
          field: p.field,
        }) as UserError,
    );
  }
  if (e instanceof StaleVersionError) {
    return [
      {
        ...base('StaleVersionUserError', e),
        expectedVersion: e.expectedVersion,
        currentVersion: e.currentVersion,
      } as UserError,
    ];
  }
  if (e instanceof TransitionNotAllowedError) {
    return [
      {
        ...base('TransitionNotAllowedUserError', e, 'to'),
        from: e.from,
        to: e.to,
        allowedTargets: e.allowedTargets,
      } as UserError,
    ];
  }
  if (e instanceof ReasonRequiredError) return [base('ReasonRequiredUserError', e, 'reason') as UserError];
  if (e instanceof ChannelClosedError)
    return [
      {
        ...base('ChannelClosedUserError', e, 'channel'),
        channel: e.channel,
        opensAt: e.opensAt,
      } as UserError,
    ];
  const typename: Record<UserErrorCode, string> = {
    NOT_FOUND: 'NotFoundError',
    NOT_PERMITTED: 'NotPermittedError',
    INVALID_INPUT: 'InvalidInputUserError',
    STALE_VERSION: 'StaleVersionUserError',
    TRANSITION_NOT_ALLOWED: 'TransitionNotAllowedUserError',
    REASON_REQUIRED: 'ReasonRequiredUserError',
    TICKET_CLOSED: 'TicketClosedUserError',
    CONFLICT: 'ConflictUserError',
    CHANNEL_CLOSED: 'ChannelClosedUserError',
  };
  return [base(typename[e.code], e, e instanceof ConflictError ? e.field : undefined) as UserError];
}
