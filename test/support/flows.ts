import { expect } from '@jest/globals';
import { PRESETS } from '../../src/workflow/presets/index.js';
import {
  AddCommentDocument,
  CreateTicketDocument,
  CreateWorkflowDocument,
  TicketDocument,
  TransitionTicketDocument,
  type AddCommentInput,
  type CreateTicketInput,
  type TicketFieldsFragment,
  type WorkflowDefinitionInput,
} from '../generated/graphql.js';
import { fastTimers } from './fast-timers.js';
import type { TestServer } from './harness.js';

/** Small steps the integration tests compose; each asserts that the API accepted it. */
export function flows(s: TestServer) {
  const tokens = new Map<string, string>();
  const token = async (email: string) => {
    if (!tokens.has(email)) tokens.set(email, await s.tokenFor(email));
    return tokens.get(email)!;
  };
  const ok = <T>(res: { data?: T | null; errors?: unknown[] }): T => {
    expect(res.errors).toBeUndefined();
    return res.data!;
  };
  return {
    token,
    async create(email: string, input: Partial<CreateTicketInput> = {}): Promise<TicketFieldsFragment> {
      const res = await s.gql(
        CreateTicketDocument,
        { input: { subject: 'Help', description: 'Something is wrong', channel: 'PORTAL', ...input } },
        await token(email),
      );
      const payload = ok(res).createTicket;
      expect(payload.errors).toEqual([]);
      return payload.ticket as TicketFieldsFragment;
    },
    async get(email: string, id: string) {
      return ok(await s.gql(TicketDocument, { id }, await token(email))).ticket;
    },
    async move(email: string, id: string, to: string, reason?: string) {
      const current = await this.get(email, id);
      const payload = ok(
        await s.gql(
          TransitionTicketDocument,
          { input: { ticketId: id, to, expectedVersion: current!.version, reason } },
          await token(email),
        ),
      ).transitionTicket;
      expect(payload.errors).toEqual([]);
      expect(payload.ticket!.status.key).toBe(to);
      return payload.ticket!;
    },
    async comment(email: string, input: Omit<AddCommentInput, 'internal'> & { internal?: boolean }) {
      const payload = ok(
        await s.gql(AddCommentDocument, { input: { internal: false, ...input } }, await token(email)),
      ).addComment;
      expect(payload.errors).toEqual([]);
      return payload;
    },
    /** Saves a copy of a preset whose timers run fast (see fast-timers.ts) as `<preset>-fast`; returns its key. */
    async fastWorkflow(presetKey: string): Promise<string> {
      const preset = PRESETS.find((p) => p.key === presetKey)!;
      const key = `${presetKey}-fast`;
      const res = await s.gql(
        CreateWorkflowDocument,
        {
          input: {
            key,
            name: `${preset.name} (fast)`,
            isDefault: false,
            definition: fastTimers(preset.definition) as WorkflowDefinitionInput,
          },
        },
        await token('admin@docket.local'),
      );
      expect(ok(res).createWorkflow.errors).toEqual([]);
      return key;
    },
    async status(email: string, id: string) {
      return (await this.get(email, id))!.status.key;
    },
  };
}
