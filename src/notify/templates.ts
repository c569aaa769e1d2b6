import { Liquid, type Template } from 'liquidjs';
import type { FieldProblem } from '../shared/errors.js';

/**
 * Notification templates in Liquid (liquidjs: no code execution, the placeholder language help-desk
 * admins know from Zendesk and Shopify). A template has three parts: the subject and the text part
 * (plain text, nothing escaped) and the HTML part, where **every output is HTML-escaped** unless a
 * template ends it with `| raw` (the shipped ones do that only after `| escape | newline_to_br`), so
 * a customer's words can never become markup.
 *
 * What a template sees (see scopeFor in render.ts): `ticket` (reference, subject, description,
 * status { key name category }, priority, channel, category, url, requester { name email }, assignee
 * { name }, team { name }, sla { dueAt kind }), `comment` (the latest public comment when the change
 * committed: body, author { name }, createdAt; internal notes are never in scope), `event` (trigger,
 * status entered and from, reminder count, reason), `recipient` (name, email, role), `survey` (scale,
 * closesAt, links { good bad 1 … 5 }) and `desk` (name).
 *
 * Limits: a template part is parsed in under 100,000 steps; a render may take at most 200 ms and
 * 20 MB, and each rendered part must be under 256 KB. Unknown filters are refused when saved.
 */
export interface TemplateSource {
  subject: string;
  text: string;
  html: string;
}

export const TEMPLATE_PARTS = ['subject', 'text', 'html'] as const;
export type TemplatePart = (typeof TEMPLATE_PARTS)[number];

export const RENDER_LIMIT_MS = 200;
export const MAX_PART_BYTES = 256 * 1024;
export const MAX_TEMPLATE_CHARS = 100_000;

const common = {
  strictFilters: true,
  ownPropertyOnly: true,
  parseLimit: 1_000_000,
  renderLimit: RENDER_LIMIT_MS,
  memoryLimit: 20_000_000,
  cache: false,
} as const;
const plainEngine = new Liquid(common);
const htmlEngine = new Liquid({ ...common, outputEscape: 'escape' });

export interface CompiledTemplate {
  subject: Template[];
  text: Template[];
  html: Template[];
}

/** Parses a template; throws a TemplateError naming the part, line and column of the first fault. */
export function compileTemplate(source: TemplateSource): CompiledTemplate {
  const out: Partial<CompiledTemplate> = {};
  for (const part of TEMPLATE_PARTS) {
    const text = source[part];
    if (text.length > MAX_TEMPLATE_CHARS)
      throw new TemplateError(part, `is longer than ${MAX_TEMPLATE_CHARS} characters`);
    try {
      out[part] = (part === 'html' ? htmlEngine : plainEngine).parse(text);
    } catch (err) {
      throw TemplateError.from(part, err);
    }
  }
  return out as CompiledTemplate;
}

/** Every fault of a template's parts, for an admin saving it: field = part, message with line and column. */
export function checkTemplate(source: TemplateSource, sample: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const part of TEMPLATE_PARTS) {
    try {
      const compiled = compileTemplate({ subject: '', text: '', html: '', [part]: source[part] });
      renderPart(compiled, part, sample);
    } catch (err) {
      const e = err instanceof TemplateError ? err : TemplateError.from(part, err);
      problems.push({ field: part, message: e.detail });
    }
  }
  if (!problems.length && !source.subject.trim())
    problems.push({ field: 'subject', message: 'must not be empty' });
  return problems;
}

function renderPart(t: CompiledTemplate, part: TemplatePart, scope: Record<string, unknown>): string {
  const engine = part === 'html' ? htmlEngine : plainEngine;
  let out: string;
  try {
    out = engine.renderSync(t[part], scope) as string;
  } catch (err) {
    throw TemplateError.from(part, err);
  }
  if (Buffer.byteLength(out) > MAX_PART_BYTES)
    throw new TemplateError(part, `renders to more than ${MAX_PART_BYTES / 1024} KB`);
  return out;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** Renders the three parts. The subject becomes one line (no CR, LF or other control characters). */
export function renderTemplate(t: CompiledTemplate, scope: Record<string, unknown>): RenderedMessage {
  return {
    subject: oneLine(renderPart(t, 'subject', scope)).slice(0, 250),
    text: renderPart(t, 'text', scope),
    html: renderPart(t, 'html', scope),
  };
}

/** Control characters (CR and LF among them) become spaces: no header can be injected through a value. */
export const oneLine = (s: string) =>
  s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** A template that cannot be parsed or rendered: the part, and where. */
export class TemplateError extends Error {
  constructor(
    readonly part: TemplatePart,
    readonly detail: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(`${part}: ${detail}`);
  }

  static from(part: TemplatePart, err: unknown): TemplateError {
    const e = err as { message?: string; token?: { getPosition?(): [number, number] } };
    const pos = e.token?.getPosition?.();
    // liquidjs appends ", line:L, col:C" to its messages; say it once, in words.
    const message = (e.message ?? String(err)).replace(/, line:\d+, col:\d+$/, '');
    return pos
      ? new TemplateError(part, `line ${pos[0]}, column ${pos[1]}: ${message}`, pos[0], pos[1])
      : new TemplateError(part, message);
  }
}

const wrap = (body: string) => `<!doctype html>
<html><body style="font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; font-size: 15px; color: #1f2328; line-height: 1.5;">
${body}
<p style="color: #6e7781; font-size: 13px;">Reference {{ ticket.reference }} · <a href="{{ ticket.url }}">View your ticket</a><br>
{% if recipient.role == "REQUESTER" or recipient.role == "PARTICIPANT" %}Reply to this email to answer; keep {{ ticket.reference }} in the subject.{% endif %}</p>
</body></html>`;

const commentHtml = `{% if comment %}<blockquote style="border-left: 3px solid #d0d7de; margin: 0; padding: 0 12px;">{{ comment.body | escape | newline_to_br | raw }}{% for image in comment.images %}<br><img src="cid:{{ image.cid }}" alt="{{ image.filename }}" style="max-width: 100%;">{% endfor %}</blockquote>
<p style="color: #6e7781; font-size: 13px;">{{ comment.author.name }}</p>{% endif %}`;
const commentText = `{% if comment %}
{{ comment.body }}

— {{ comment.author.name }}
{% endif %}`;
const footer = `
--
Reference: {{ ticket.reference }} · {{ ticket.url }}
Reply to this email to answer; keep {{ ticket.reference }} in the subject.`;

/**
 * The shipped templates: what each preset's rules send (src/workflow/presets/*), usable by any
 * workflow. An admin's template of the same key (for one workflow, or for all) replaces one.
 */
export const DEFAULT_TEMPLATES: Record<string, TemplateSource & { description: string }> = {
  'ticket-received': {
    description: 'The acknowledgement of a new ticket, with its reference, subject and description.',
    subject: '[{{ ticket.reference }}] We received your request: {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

We received your request and gave it the reference {{ ticket.reference }}. An agent will pick it up shortly.

Subject: {{ ticket.subject }}

{{ ticket.description }}
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>We received your request and gave it the reference <strong>{{ ticket.reference }}</strong>. An agent will pick it up shortly.</p>
<p><strong>{{ ticket.subject }}</strong></p>
<blockquote style="border-left: 3px solid #d0d7de; margin: 0; padding: 0 12px;">{{ ticket.description | escape | newline_to_br | raw }}</blockquote>`),
  },
  'agent-reply': {
    description: 'An agent’s public reply.',
    subject: '[{{ ticket.reference }}] {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},
${commentText}
Status: {{ ticket.status.name }}
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
${commentHtml}
<p>Status: {{ ticket.status.name }}</p>`),
  },
  'agent-questions': {
    description: 'The ticket waits for the requester: the agent’s questions.',
    subject: '[{{ ticket.reference }}] We need more information: {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

To go on with your request we need more information from you.
${commentText}
Please reply to this email.
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>To go on with your request we need more information from you.</p>
${commentHtml}
<p>Please reply to this email.</p>`),
  },
  reminder: {
    description: 'A reminder that the ticket waits for the requester’s answer.',
    subject: '[{{ ticket.reference }}] Reminder: we are waiting for your reply ({{ ticket.subject }})',
    text: `Hello {{ recipient.name }},

This is a kind reminder{% if event.reminderCount > 1 %} (number {{ event.reminderCount }}){% endif %}: your request {{ ticket.reference }} is waiting for your reply ({{ event.status.name }}).
${commentText}
If we do not hear from you, the ticket will be closed.
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>This is a kind reminder{% if event.reminderCount > 1 %} (number {{ event.reminderCount }}){% endif %}: your request {{ ticket.reference }} is waiting for your reply ({{ event.status.name }}).</p>
${commentHtml}
<p>If we do not hear from you, the ticket will be closed.</p>`),
  },
  'courtesy-follow-up': {
    description: 'A courtesy follow-up while the desk waits for the client (seed 000).',
    subject: '[{{ ticket.reference }}] Following up: {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

We are following up on your task {{ ticket.reference }}: it is waiting for your response ({{ event.status.name }}), and we have paused its response time until we hear from you.
${commentText}${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>We are following up on your task {{ ticket.reference }}: it is waiting for your response ({{ event.status.name }}), and we have paused its response time until we hear from you.</p>
${commentHtml}`),
  },
  'closed-no-response': {
    description: 'The ticket was closed because nobody answered.',
    subject: '[{{ ticket.reference }}] Your ticket is now closed: {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

We did not hear from you, so your ticket {{ ticket.reference }} is now considered closed.
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>We did not hear from you, so your ticket {{ ticket.reference }} is now considered closed.</p>`),
  },
  resolution: {
    description: 'The ticket was resolved: the resolution (the latest public reply).',
    subject: '[{{ ticket.reference }}] Resolved: {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

Your ticket {{ ticket.reference }} has been resolved ({{ event.status.name }}).
${commentText}
If you do not agree with the solution, reply to this email.
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>Your ticket {{ ticket.reference }} has been resolved ({{ event.status.name }}).</p>
${commentHtml}
<p>If you do not agree with the solution, reply to this email.</p>`),
  },
  'status-update': {
    description: 'The ticket’s status changed.',
    subject: '[{{ ticket.reference }}] {{ event.status.name }}: {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

Your ticket {{ ticket.reference }} is now: {{ event.status.name }}{% if event.fromStatus %} (was: {{ event.fromStatus.name }}){% endif %}.
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>Your ticket {{ ticket.reference }} is now: <strong>{{ event.status.name }}</strong>{% if event.fromStatus %} (was: {{ event.fromStatus.name }}){% endif %}.</p>`),
  },
  'satisfaction-survey': {
    description: 'The satisfaction survey, with one-click rating links.',
    subject: '[{{ ticket.reference }}] How did we do? {{ ticket.subject }}',
    text: `Hello {{ recipient.name }},

Your ticket {{ ticket.reference }} was resolved. How would you rate the support you received?
{% if survey.scale == "GOOD_BAD" %}
Good: {{ survey.links.good }}
Bad: {{ survey.links.bad }}
{% else %}{% for n in (1..5) %}
{{ n }}: {{ survey.links[n] }}{% endfor %}
{% endif %}
You can change your rating until {{ survey.closesAt | date: "%Y-%m-%d %H:%M UTC", 0 }}.
${footer}`,
    html: wrap(`<p>Hello {{ recipient.name }},</p>
<p>Your ticket {{ ticket.reference }} was resolved. How would you rate the support you received?</p>
<p>{% if survey.scale == "GOOD_BAD" %}<a href="{{ survey.links.good }}">Good, I’m satisfied</a> · <a href="{{ survey.links.bad }}">Bad, I’m unsatisfied</a>{% else %}{% for n in (1..5) %}<a href="{{ survey.links[n] }}">{{ n }}</a> {% endfor %}{% endif %}</p>
<p style="color: #6e7781; font-size: 13px;">You can change your rating until {{ survey.closesAt | date: "%Y-%m-%d %H:%M UTC", 0 }}.</p>`),
  },
  'sla-breached': {
    description: 'For staff: an SLA target was breached.',
    subject: '[{{ ticket.reference }}] SLA breached ({{ event.slaKind }}): {{ ticket.subject }}',
    text: `{{ ticket.reference }} ({{ ticket.priority }}) breached its {{ event.slaKind }} target at {{ event.breachedAt }}.
Status: {{ ticket.status.name }}; assignee: {% if ticket.assignee %}{{ ticket.assignee.name }}{% else %}nobody{% endif %}.
{{ ticket.url }}`,
    html: `<!doctype html><html><body><p><strong>{{ ticket.reference }}</strong> ({{ ticket.priority }}) breached its {{ event.slaKind }} target at {{ event.breachedAt }}.</p>
<p>Status: {{ ticket.status.name }}; assignee: {% if ticket.assignee %}{{ ticket.assignee.name }}{% else %}nobody{% endif %}.</p>
<p><a href="{{ ticket.url }}">{{ ticket.subject }}</a></p></body></html>`,
  },
};

const compiledDefaults = new Map<string, CompiledTemplate>();

/** A shipped template, compiled once. */
export function defaultTemplate(key: string): CompiledTemplate | undefined {
  const source = DEFAULT_TEMPLATES[key];
  if (!source) return undefined;
  let compiled = compiledDefaults.get(key);
  if (!compiled) compiledDefaults.set(key, (compiled = compileTemplate(source)));
  return compiled;
}
