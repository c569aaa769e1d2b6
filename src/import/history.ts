import { createHash } from 'node:crypto';
import type { FieldProblem } from '../shared/errors.js';
import { LIMITS } from '../shared/checks.js';
import type { WorkflowDefinition } from '../workflow/definition.js';
import { workflowMoves } from '../workflow/rules.js';

/**
 * The pure part of importing a ticket's history from another help desk (issue 16): checking that the
 * history can have happened on the ticket's workflow, and merging its comments and status changes
 * into one timeline in the order they happened. No database: unit-tested in history.test.ts.
 */

/** Who wrote an imported comment. REQUESTER: the ticket's requester; AGENT: staff; PARTNER: the importing partner. */
export type ImportAuthorKind = 'REQUESTER' | 'AGENT' | 'PARTNER';

export interface ImportedComment {
  /** When it was written (not in the future, not before the ticket's creation, in order). */
  at: Date;
  body: string;
  authorKind: ImportAuthorKind;
  /** AGENT: the agent or admin by email (an existing user); absent: an agent no longer known. */
  authorEmail?: string;
  /** An internal note (AGENT only). */
  internal?: boolean;
}

export interface ImportedStatusChange {
  /** When it happened (not in the future, not before the ticket's creation, in order). */
  at: Date;
  /** A status key of the ticket's workflow. */
  to: string;
  reason?: string;
  /** The agent or admin who made it, by email (an existing user); absent: the importer. */
  byEmail?: string;
}

/** One step of the merged history. */
export type HistoryEntry =
  | { kind: 'COMMENT'; index: number; at: Date; comment: ImportedComment }
  | { kind: 'STATUS'; index: number; at: Date; from: string; to: string; reason?: string; byEmail?: string };

/** The most comments, and the most status changes, one imported ticket may have. */
export const MAX_IMPORTED_ENTRIES = 1000;

/**
 * Checks an imported history against the workflow and the present, and merges it. Every problem is
 * returned, each naming its field (`comments[2].at`, `statusChanges[0].to`):
 *
 * - `createdAt` and every entry's `at` not after `now`; entries not before `createdAt`;
 * - `comments` in time order, and `statusChanges` in time order (each list on its own; equal times
 *   are allowed);
 * - each status change goes to a status of the workflow, other than the one the ticket is in then, by
 *   a move the workflow can make (a transition for any actor, a reply or partner-comment rule, a timer,
 *   an escalation, or intake: see workflowMoves); the history starts in the workflow's initial status;
 * - internal notes are written by agents; a PARTNER comment only when a partner imports.
 *
 * Merging: by time; at one instant the comments come before the status changes, as in a live reply
 * that also moves the ticket (`addComment` with `status`).
 */
export function planHistory(
  def: WorkflowDefinition,
  input: {
    createdAt: Date;
    comments: readonly ImportedComment[];
    statusChanges: readonly ImportedStatusChange[];
  },
  now: Date,
  opts: { partner: boolean },
): { entries: HistoryEntry[]; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const add = (field: string, message: string) => problems.push({ field, message });
  const created = input.createdAt.getTime();
  const nowMs = now.getTime();
  if (Number.isNaN(created)) add('createdAt', 'is not a valid instant');
  else if (created > nowMs)
    add('createdAt', `is in the future (${input.createdAt.toISOString()}; now is ${now.toISOString()})`);
  if (input.comments.length > MAX_IMPORTED_ENTRIES)
    add('comments', `at most ${MAX_IMPORTED_ENTRIES} per ticket (got ${input.comments.length})`);
  if (input.statusChanges.length > MAX_IMPORTED_ENTRIES)
    add('statusChanges', `at most ${MAX_IMPORTED_ENTRIES} per ticket (got ${input.statusChanges.length})`);

  const checkTimes = (list: readonly { at: Date }[], name: string) =>
    list.forEach((e, i) => {
      const at = e.at.getTime();
      const field = `${name}[${i}].at`;
      if (Number.isNaN(at)) return add(field, 'is not a valid instant');
      if (at > nowMs) return add(field, `is in the future (${e.at.toISOString()})`);
      if (at < created)
        return add(field, `is before the ticket was created (${input.createdAt.toISOString()})`);
      const prev = list[i - 1]?.at.getTime();
      if (prev !== undefined && at < prev)
        add(field, `is before ${name}[${i - 1}].at: give ${name} in the order they happened`);
    });
  checkTimes(input.comments, 'comments');
  checkTimes(input.statusChanges, 'statusChanges');

  input.comments.forEach((c, i) => {
    const at = `comments[${i}]`;
    if (c.body.trim().length === 0) add(`${at}.body`, 'must not be empty');
    else if (c.body.length > LIMITS.comment)
      add(`${at}.body`, `must be at most ${LIMITS.comment} characters (got ${c.body.length})`);
    if (c.internal && c.authorKind !== 'AGENT') add(`${at}.internal`, 'only agents write internal notes');
    if (c.authorKind === 'PARTNER' && !opts.partner)
      add(`${at}.authorKind`, 'PARTNER comments are imported by a partner’s API key');
    if (c.authorEmail !== undefined && c.authorKind !== 'AGENT')
      add(`${at}.authorEmail`, 'only AGENT comments name their author (REQUESTER is the ticket’s requester)');
  });

  const statuses = new Set(def.statuses.map((s) => s.key));
  const moves = workflowMoves(def);
  let current = def.initialStatus;
  const changes: HistoryEntry[] = [];
  input.statusChanges.forEach((c, i) => {
    const field = `statusChanges[${i}].to`;
    if (c.reason !== undefined && c.reason.length > LIMITS.reason)
      add(
        `statusChanges[${i}].reason`,
        `must be at most ${LIMITS.reason} characters (got ${c.reason.length})`,
      );
    if (!statuses.has(c.to))
      return add(field, `"${c.to}" is not a status of this workflow (${[...statuses].join(', ')})`);
    if (c.to === current) return add(field, `the ticket is already in "${current}" then`);
    if (!moves.get(current)?.has(c.to)) {
      const allowed = [...(moves.get(current) ?? [])];
      add(
        field,
        `the workflow has no move from "${current}" to "${c.to}"` +
          (allowed.length ? ` (from "${current}" it moves to ${allowed.join(', ')})` : ''),
      );
    }
    changes.push({
      kind: 'STATUS',
      index: i,
      at: c.at,
      from: current,
      to: c.to,
      reason: c.reason?.trim() || undefined,
      byEmail: c.byEmail,
    });
    current = c.to;
  });
  if (problems.length) return { entries: [], problems };

  const entries: HistoryEntry[] = [];
  let ci = 0;
  let si = 0;
  while (ci < input.comments.length || si < changes.length) {
    const c = input.comments[ci];
    const s = changes[si];
    if (c && (!s || c.at.getTime() <= s.at.getTime())) {
      entries.push({ kind: 'COMMENT', index: ci, at: c.at, comment: c });
      ci++;
    } else {
      entries.push(s!);
      si++;
    }
  }
  return { entries, problems };
}

/**
 * A stable digest of an imported ticket (its fields and history, times as ISO instants): the same
 * history imported again has the same digest. Keys are written in a fixed order.
 */
export function importDigest(item: Record<string, unknown>): string {
  return createHash('sha256').update(canonical(item)).digest('hex');
}

function canonical(v: unknown): string {
  if (v instanceof Date) return JSON.stringify(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .filter(
        (k) => (v as Record<string, unknown>)[k] !== undefined && (v as Record<string, unknown>)[k] !== null,
      )
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}
