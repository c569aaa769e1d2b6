import { counter, DURATION_BUCKETS, histogram } from '../ops/metrics.js';

/** Inbound mail's series (docs/OPERATIONS.md, "Metrics"; docs/INBOUND.md). */

export const inboundEmails = counter({
  name: 'docket_inbound_emails_total',
  help: 'Messages received, by source (SMTP, HTTP) and what became of them (status: TICKET_CREATED, COMMENT_ADDED, FOLLOW_UP_CREATED, IGNORED, REJECTED, DUPLICATE, FAILED; reason for IGNORED and REJECTED)',
  labelNames: ['source', 'status', 'reason'] as const,
});

export const inboundSeconds = histogram({
  name: 'docket_inbound_email_seconds',
  help: 'From a whole message received to its transaction committed (s), by source',
  labelNames: ['source'] as const,
  buckets: DURATION_BUCKETS,
});
