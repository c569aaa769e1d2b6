/** The kinds of entry in the ticket event log. Their names are the API's contract. */
export enum TicketEventType {
  TICKET_CREATED = 'TICKET_CREATED',
  TICKET_UPDATED = 'TICKET_UPDATED',
  COMMENT_ADDED = 'COMMENT_ADDED',
  TICKET_ASSIGNED = 'TICKET_ASSIGNED',
  TICKET_ESCALATED = 'TICKET_ESCALATED',
  STATUS_CHANGED = 'STATUS_CHANGED',
  TAGS_CHANGED = 'TAGS_CHANGED',
  FOLLOW_UP_OPENED = 'FOLLOW_UP_OPENED',
  /** A workflow timer reminded the requester (payload: count, status, after, dueAt). */
  REQUESTER_REMINDED = 'REQUESTER_REMINDED',
  /** A target was met (recorded at once, in the change that met it). */
  SLA_ACHIEVED = 'SLA_ACHIEVED',
  /** A share of a target elapsed (fired at its time by the scheduler). */
  SLA_WARNING = 'SLA_WARNING',
  /** A target's due time passed with the ticket still waiting (fired at its time, or by the next change). */
  SLA_BREACHED = 'SLA_BREACHED',
  /** The ticket's SLA policy was chosen or changed (creation, a priority change, applySlaPolicy). */
  SLA_POLICY_APPLIED = 'SLA_POLICY_APPLIED',
  /** Someone was added to the ticket: a CC (role CC) or a following agent (role FOLLOWER, internal). Payload: userId, role. */
  PARTICIPANT_ADDED = 'PARTICIPANT_ADDED',
  /** Someone was removed from the ticket (payload as PARTICIPANT_ADDED). */
  PARTICIPANT_REMOVED = 'PARTICIPANT_REMOVED',
  /** The workflow's satisfaction survey opened (payload: surveyId, scale, closesAt). */
  SATISFACTION_SURVEY_OPENED = 'SATISFACTION_SURVEY_OPENED',
  /** The requester rated the ticket or changed the rating (payload: surveyId, rating, good, scale, hasComment). */
  SATISFACTION_RATED = 'SATISFACTION_RATED',
  /** A notification could not be delivered and will not be retried (internal; payload: messageId, recipient, template, error). */
  NOTIFICATION_FAILED = 'NOTIFICATION_FAILED',
  /**
   * A mail became this ticket or a comment on it (internal; payload: inboundEmailId, from, messageId,
   * outcome TICKET_CREATED | COMMENT_ADDED | FOLLOW_UP_CREATED, commentId?, attachments).
   */
  EMAIL_RECEIVED = 'EMAIL_RECEIVED',
  /** A mail about this ticket was refused or ignored (internal; payload: inboundEmailId, from, messageId, reason, detail). */
  EMAIL_REJECTED = 'EMAIL_REJECTED',
}
