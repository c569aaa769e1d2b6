import { ReasonRequiredError, TransitionNotAllowedError } from '../shared/errors.js';
import { DEFAULT_ASSIGNMENT_STEPS } from './definition.js';
import type {
  ActorKind,
  AssignmentStep,
  EscalationRule,
  ReplyRule,
  StatusCategory,
  WorkflowDefinition,
  WorkflowStatus,
  WorkflowTransition,
} from './definition.js';

/** Pure rules over a workflow definition: which moves an actor may make, what a reply does. */

export function statusOf(def: WorkflowDefinition, key: string): WorkflowStatus {
  const s = def.statuses.find((x) => x.key === key);
  if (!s) throw new Error(`Status "${key}" is not in this workflow`);
  return s;
}

export function categoryOf(def: WorkflowDefinition, key: string): StatusCategory {
  return statusOf(def, key).category;
}

/**
 * Every move the workflow can make by some rule, as "from → the statuses it may go to": intake, the
 * transitions (any actor), requester-reply and partner-comment MOVEs, timer MOVEs and escalation
 * moves. Used to check that statuses can be reached (validate.ts) and that an imported history only
 * makes moves the workflow knows (src/import).
 */
export function workflowMoves(def: WorkflowDefinition): Map<string, Set<string>> {
  const moves = new Map<string, Set<string>>();
  const keys = def.statuses.map((s) => s.key);
  const move = (from: string, to: string | undefined) => {
    if (!to) return;
    let set = moves.get(from);
    if (!set) moves.set(from, (set = new Set()));
    set.add(to);
  };
  if (def.intakeStatus) move(def.initialStatus, def.intakeStatus);
  def.transitions.forEach((t) => t.from.forEach((f) => move(f, t.to)));
  [...def.requesterReplies, ...def.partnerComments].forEach(
    (r) => r.action === 'MOVE' && move(r.status, r.to),
  );
  def.timers.forEach((t) => t.action === 'MOVE' && move(t.status, t.to));
  def.escalations.forEach((e) =>
    (e.fromStatuses.length ? e.fromStatuses : keys).forEach((f) => move(f, e.moveTo)),
  );
  return moves;
}

/** An admin may do whatever an agent may. */
function actorMatches(t: WorkflowTransition, actor: ActorKind): boolean {
  return t.actors.includes(actor) || (actor === 'ADMIN' && t.actors.includes('AGENT'));
}

/** The moves `actor` may make by hand from `status`, in the workflow's order. */
export function allowedTransitions(
  def: WorkflowDefinition,
  status: string,
  actor: ActorKind,
): WorkflowTransition[] {
  return def.transitions.filter((t) => t.from.includes(status) && actorMatches(t, actor));
}

/** Throws a typed error when `actor` may not move a ticket from `from` to `to` (with or without a reason). */
export function checkTransition(
  def: WorkflowDefinition,
  from: string,
  to: string,
  actor: ActorKind,
  reason: string | undefined,
): WorkflowTransition {
  const allowed = allowedTransitions(def, from, actor);
  const move = allowed.find((t) => t.to === to);
  if (!move)
    throw new TransitionNotAllowedError(
      from,
      to,
      allowed.map((t) => t.to),
    );
  if (move.requiresReason && !reason?.trim()) throw new ReasonRequiredError(from, to);
  return move;
}

const NONE: ReplyRule = { status: '', action: 'NONE' };

/** What a requester's reply does to a ticket in `status` (NONE when the workflow says nothing). */
export function requesterReplyRule(def: WorkflowDefinition, status: string): ReplyRule {
  return def.requesterReplies.find((r) => r.status === status) ?? { ...NONE, status };
}

/** What a partner platform's comment does to a ticket in `status`. */
export function partnerCommentRule(def: WorkflowDefinition, status: string): ReplyRule {
  return def.partnerComments.find((r) => r.status === status) ?? { ...NONE, status };
}

/** The escalation rule that applies when a ticket in `status` goes to `toTier`, if any. */
export function escalationRule(
  def: WorkflowDefinition,
  status: string,
  toTier: number,
): EscalationRule | undefined {
  return def.escalations.find(
    (e) => e.toTier === toTier && (e.fromStatuses.length === 0 || e.fromStatuses.includes(status)),
  );
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The first rule with a keyword in the text wins (whole words, case-insensitive); else the default. */
export function categorise(def: WorkflowDefinition, subject: string, description: string): string {
  const text = `${subject}\n${description}`;
  for (const rule of def.categorisation.rules) {
    if (
      rule.keywords.some((k) =>
        new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(k.trim())}($|[^\\p{L}\\p{N}])`, 'iu').test(text),
      )
    ) {
      return rule.category;
    }
  }
  return def.categorisation.defaultCategory;
}

/** The assignment steps for a new ticket of `category`: the first rule naming it, else the default. */
export function assignmentStepsFor(def: WorkflowDefinition, category: string): readonly AssignmentStep[] {
  return def.assignmentRules?.find((r) => r.categories.includes(category))?.steps ?? DEFAULT_ASSIGNMENT_STEPS;
}
