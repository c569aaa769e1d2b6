import { expect } from '@jest/globals';
import { CreateSlaPolicyDocument } from '../generated/graphql.js';
import type { flows } from './flows.js';
import type { TestServer } from './harness.js';

/**
 * An SLA policy for CRITICAL tickets of the `saas-fast` workflow on the 24/7 calendar: first response
 * within 1 s (a warning at 50 %), resolution within 3 s. A ticket created with it warns after 0.5 s and
 * breaches after 1 s, through the real scheduler. Creates `saas-fast` first.
 */
export async function fastCriticalSla(s: TestServer, f: ReturnType<typeof flows>): Promise<void> {
  await f.fastWorkflow('saas');
  const res = await s.gql(
    CreateSlaPolicyDocument,
    {
      input: {
        key: 'fast-critical',
        name: 'Fast critical',
        position: 1,
        definition: {
          conditions: { workflows: ['saas-fast'], priorities: ['CRITICAL'] },
          calendarKey: 'always-open',
          targets: [
            {
              kind: 'FIRST_RESPONSE',
              within: 'PT1S',
              clock: 'ALWAYS',
              warnAtPercent: [50],
              pausedIn: [],
              onBreach: 'NONE',
            },
            {
              kind: 'RESOLUTION',
              within: 'PT3S',
              clock: 'ALWAYS',
              warnAtPercent: [],
              pausedIn: ['WAITING_ON_REQUESTER'],
              onBreach: 'NONE',
            },
          ],
        },
      },
    },
    await f.token('admin@docket.local'),
  );
  expect(res.data!.createSlaPolicy.errors).toEqual([]);
}
