/**
 * The README's example operations, opened as GraphiQL's first tabs (a browser that already has saved
 * tabs keeps its own). test/browser-pages.test.ts validates every one against schema/schema.graphql,
 * so they cannot drift from the API.
 */
export interface ExampleTab {
  query: string;
  variables?: string;
}

export const EXAMPLE_TABS: ExampleTab[] = [
  {
    query: `# The first ten tickets of the queue (priority first, then oldest first).
# Paste a token above first: npm run token -- alice@docket.local
query Queue {
  tickets(first: 10, orderBy: QUEUE) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        reference subject priority
        status { key name category }
        requester { name }
        assignee { name }
      }
    }
  }
}
`,
  },
  {
    query: `# One ticket by its reference: the moves you may make from its status, and its history.
query TicketByReference($reference: String!) {
  ticketByReference(reference: $reference) {
    id reference subject version
    status { key name category }
    workflow { key version }
    allowedTransitions { to { key name } requiresReason reopen }
    transitions { from { key } to { key } actorKind reason at }
    comments { edges { node { body internal authorKind } } }
  }
}
`,
    variables: '{ "reference": "TCK-000001" }',
  },
  {
    query: `# Live: every event as it commits, after replaying the log from the start (the demo data has
# about 60 events). Keep the last seq you saw and pass it as "after" when you reconnect.
subscription TicketEvents($after: SafeInt) {
  ticketEvents(after: $after) {
    seq type occurredAt payload
    ticket { reference subject status { name } }
  }
}
`,
    variables: '{ "after": 0 }',
  },
  {
    query: `# Live: SLA warnings and breaches (staff see all; requesters their own tickets').
subscription SlaAlerts($after: SafeInt) {
  slaAlerts(after: $after) {
    seq kind target percent dueAt breachedAt
    ticket { reference subject priority }
  }
}
`,
    variables: '{ "after": 0 }',
  },
  {
    query: `# Live wallboard counters (staff), pushed when a number changes, at most once a second.
subscription QueueStats {
  queueStats {
    at open atRisk breachedToday waitingOnRequester
    byPriority { priority count }
    byStatus { status statusCategory count }
  }
}
`,
  },
  {
    query: `# A requester opens a ticket (as rita@acme.example: npm run token -- rita@acme.example).
mutation CreateTicket {
  createTicket(input: {
    subject: "Please add a contact form"
    description: "We need a contact form on the About page."
    channel: PORTAL
  }) {
    ticket { id reference version category priority status { key name } assignee { name } }
    errors { __typename code message field }
  }
}
`,
  },
  {
    query: `# Move a ticket (its id from TicketByReference); expectedVersion is the version you last read.
mutation TransitionTicket($ticketId: ID!, $to: String!, $expectedVersion: Int!) {
  transitionTicket(input: { ticketId: $ticketId, to: $to, expectedVersion: $expectedVersion }) {
    ticket { reference version status { key name } }
    errors {
      __typename code message field
      ... on TransitionNotAllowedUserError { allowedTargets }
      ... on StaleVersionUserError { currentVersion }
    }
  }
}
`,
    variables: '{ "ticketId": "", "to": "pending", "expectedVersion": 1 }',
  },
  {
    query: `# Compliance and response times by priority (staff).
query SlaMetrics {
  slaMetrics(groupBy: PRIORITY) {
    key tickets breaches atRisk firstRespondedWithinShare
    firstResponseCalendar { count meanSeconds medianSeconds p90Seconds }
    targets { kind met breached complianceRate }
  }
}
`,
  },
  {
    query: `# The workflows and their statuses.
query Workflows {
  workflows { key name version isDefault definition { statuses { key name category } } }
}
`,
  },
];
