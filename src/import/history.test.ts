import { describe, expect, it } from '@jest/globals';
import { PRESETS } from '../workflow/presets/index.js';
import { importDigest, planHistory } from './history.js';

const saas = PRESETS.find((p) => p.key === 'saas')!.definition;
const marketplace = PRESETS.find((p) => p.key === 'marketplace')!.definition;
const at = (iso: string) => new Date(iso);
const NOW = at('2026-11-30T12:00:00Z');
const CREATED = at('2026-11-20T16:00:00Z');

describe('planHistory', () => {
  it('merges comments and status changes by time, a comment before a move at the same instant', () => {
    const { entries, problems } = planHistory(
      saas,
      {
        createdAt: CREATED,
        comments: [
          { at: at('2026-11-23T09:30:00Z'), body: 'Hi', authorKind: 'AGENT' },
          { at: at('2026-11-24T09:00:00Z'), body: 'Thanks', authorKind: 'REQUESTER' },
        ],
        statusChanges: [
          { at: at('2026-11-23T09:30:00Z'), to: 'in_progress' },
          { at: at('2026-11-23T10:00:00Z'), to: 'resolved' },
        ],
      },
      NOW,
      { partner: false },
    );
    expect(problems).toEqual([]);
    expect(entries.map((e) => [e.kind, e.index, e.at.toISOString()])).toEqual([
      ['COMMENT', 0, '2026-11-23T09:30:00.000Z'],
      ['STATUS', 0, '2026-11-23T09:30:00.000Z'],
      ['STATUS', 1, '2026-11-23T10:00:00.000Z'],
      ['COMMENT', 1, '2026-11-24T09:00:00.000Z'],
    ]);
    expect(entries[1]).toMatchObject({ from: 'new', to: 'in_progress' });
  });

  it('names every problem: future, before creation, out of order, unknown status, no such move, same status, internal requester note', () => {
    const { entries, problems } = planHistory(
      saas,
      {
        createdAt: CREATED,
        comments: [
          { at: at('2026-11-19T00:00:00Z'), body: 'early', authorKind: 'REQUESTER' },
          { at: at('2026-12-01T00:00:00Z'), body: 'late', authorKind: 'REQUESTER', internal: true },
          { at: at('2026-11-21T00:00:00Z'), body: ' ', authorKind: 'PARTNER' },
        ],
        statusChanges: [
          { at: at('2026-11-22T00:00:00Z'), to: 'closed' },
          { at: at('2026-11-21T00:00:00Z'), to: 'closed' },
          { at: at('2026-11-23T00:00:00Z'), to: 'in_progress' },
          { at: at('2026-11-24T00:00:00Z'), to: 'nope' },
        ],
      },
      NOW,
      { partner: false },
    );
    expect(entries).toEqual([]);
    expect(problems.map((p) => p.field)).toEqual([
      'comments[0].at',
      'comments[1].at',
      'comments[2].at',
      'statusChanges[1].at',
      'comments[1].internal',
      'comments[2].body',
      'comments[2].authorKind',
      'statusChanges[1].to',
      'statusChanges[2].to',
      'statusChanges[3].to',
    ]);
    expect(problems[7]!.message).toBe('the ticket is already in "closed" then');
    expect(problems[8]!.message).toBe('the workflow has no move from "closed" to "in_progress"');
  });

  it('accepts moves the workflow makes by rules other than hand transitions (intake)', () => {
    // Marketplace: New → To do next is intake, made by the system.
    const { problems } = planHistory(
      marketplace,
      {
        createdAt: CREATED,
        comments: [],
        statusChanges: [{ at: at('2026-11-20T16:00:00Z'), to: marketplace.intakeStatus! }],
      },
      NOW,
      { partner: false },
    );
    expect(problems).toEqual([]);
  });

  it('refuses a creation time in the future', () => {
    const { problems } = planHistory(
      saas,
      { createdAt: at('2026-12-01T00:00:00Z'), comments: [], statusChanges: [] },
      NOW,
      { partner: true },
    );
    expect(problems.map((p) => p.field)).toEqual(['createdAt']);
  });
});

describe('importDigest', () => {
  it('is the same for the same content whatever the key order, and differs for other content', () => {
    const a = importDigest({ externalId: 'x', createdAt: CREATED, comments: [{ body: 'a', at: CREATED }] });
    const b = importDigest({ comments: [{ at: CREATED, body: 'a' }], createdAt: CREATED, externalId: 'x' });
    const c = importDigest({ externalId: 'x', createdAt: CREATED, comments: [{ body: 'b', at: CREATED }] });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(importDigest({ externalId: 'x', tags: undefined })).toBe(importDigest({ externalId: 'x' }));
  });
});
