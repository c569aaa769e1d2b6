/**
 * Docket's live wallboard, and the worked example for dashboard teams: the stock graphql-ws client on
 * the same /graphql as the API, a staff token in connectionParams.
 *
 * - `queueStats` pushes the counters (open, at risk, breached today, waiting, by priority and status)
 *   whenever one changes; its `seq` says which events they include.
 * - `slaAlerts(after: $after)` brings warnings and breaches as they commit. `after` starts at the first
 *   counters' `seq` and follows the last alert received; graphql-ws re-sends the subscription with the
 *   current variables on every reconnect, so the server replays exactly what was missed while the
 *   connection was down: no gap, no duplicate.
 * - `ticketsAtRisk` and `slaMetrics(groupBy: PRIORITY)` are plain queries over HTTP, read again when
 *   the counters or an alert say something changed (at most every 2 s), and every minute.
 */
import { createClient, type Client } from 'graphql-ws';
import './wallboard.css';

const TOKEN_KEY = 'docket.token';
const MAX_ALERTS = 50;
const PRIORITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;

const QUEUE_STATS = `subscription WallboardQueue {
  queueStats { at seq open atRisk breachedToday waitingOnRequester byPriority { priority count } byStatus { status statusCategory count } }
}`;
const SLA_ALERTS = `subscription WallboardAlerts($after: SafeInt) {
  slaAlerts(after: $after) { seq kind target percent dueAt breachedAt occurredAt ticket { reference subject priority } }
}`;
const AT_RISK = `query WallboardAtRisk {
  ticketsAtRisk(first: 10, withinMinutes: 240) { kind dueAt secondsToBreach ticket { reference subject priority } }
}`;
const COMPLIANCE = `query WallboardCompliance {
  slaMetrics(groupBy: PRIORITY) { key label tickets breaches targets { kind met breached complianceRate } }
}`;

interface QueueStats {
  at: string;
  seq: number;
  open: number;
  atRisk: number;
  breachedToday: number;
  waitingOnRequester: number;
  byPriority: { priority: string; count: number }[];
  byStatus: { status: string; statusCategory: string; count: number }[];
}
interface TicketRef {
  reference: string;
  subject: string;
  priority: string;
}
interface SlaAlert {
  seq: number;
  kind: 'WARNING' | 'BREACH';
  target: string;
  percent: number | null;
  dueAt: string | null;
  breachedAt: string | null;
  occurredAt: string;
  ticket: TicketRef;
}
interface AtRisk {
  kind: string;
  dueAt: string;
  secondsToBreach: number;
  ticket: TicketRef;
}
interface MetricsGroup {
  key: string;
  label: string;
  tickets: number;
  breaches: number;
  targets: { kind: string; met: number; breached: number; complianceRate: number | null }[];
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const el = (tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
};
const words = (key: string) => key.toLowerCase().replace(/_/g, ' ');

let token = localStorage.getItem(TOKEN_KEY) ?? '';
let client: Client | undefined;
let stopSubscriptions: (() => void)[] = [];
/** The slaAlerts subscription's variables: `after` moves with every alert (see the header). */
let alertVariables: { after?: number } = {};
const shownAlerts = new Set<number>();

function setStatus(state: 'idle' | 'connecting' | 'live' | 'reconnecting' | 'refused', text: string) {
  const s = $('status');
  s.dataset.state = state;
  s.textContent = text;
}

async function query<T>(document: string): Promise<T> {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: document }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data!;
}

function renderStats(s: QueueStats) {
  $('open').textContent = String(s.open);
  $('at-risk').textContent = String(s.atRisk);
  $('breached-today').textContent = String(s.breachedToday);
  $('waiting').textContent = String(s.waitingOnRequester);
  $('updated').textContent = `counts at ${new Date(s.at).toLocaleTimeString()}`;
  const max = Math.max(1, ...s.byPriority.map((p) => p.count));
  $('by-priority').replaceChildren(
    ...PRIORITIES.map((p) => {
      const count = s.byPriority.find((x) => x.priority === p)?.count ?? 0;
      return el(
        'div',
        { class: 'bar-row' },
        el('span', { class: `label prio-${p}` }, words(p)),
        el('span', { class: 'bar', style: `--share:${count / max}` }),
        el('span', { class: 'value', 'data-priority': p }, String(count)),
      );
    }),
  );
  $('by-status').replaceChildren(
    ...[...s.byStatus]
      .sort((a, b) => b.count - a.count)
      .map((x) => el('li', {}, el('span', {}, words(x.status)), el('b', {}, String(x.count)))),
  );
}

function renderAlert(a: SlaAlert) {
  if (shownAlerts.has(a.seq)) return;
  shownAlerts.add(a.seq);
  const when = a.kind === 'BREACH' ? a.breachedAt : a.occurredAt;
  const what = a.kind === 'BREACH' ? 'breached' : `${a.percent ?? '?'} % elapsed`;
  const item = el(
    'li',
    { class: `alert alert-${a.kind}`, 'data-seq': String(a.seq), 'data-reference': a.ticket.reference },
    el('span', { class: 'badge' }, a.kind === 'BREACH' ? 'Breach' : 'Warning'),
    el('b', {}, a.ticket.reference),
    el('span', { class: 'subject' }, a.ticket.subject),
    el('span', { class: `prio prio-${a.ticket.priority}` }, words(a.ticket.priority)),
    el('span', { class: 'detail' }, `${words(a.target)} ${what}`),
    el('time', {}, when ? new Date(when).toLocaleTimeString() : ''),
  );
  // Newest first, by position in the log (a replay after a reconnect fills in where it belongs).
  const list = $('alerts');
  const after = [...list.children].find((c) => Number((c as HTMLElement).dataset.seq) < a.seq);
  list.insertBefore(item, after ?? null);
  while (list.children.length > MAX_ALERTS) list.lastElementChild!.remove();
  $('alerts-empty').hidden = true;
}

function renderAtRisk(rows: AtRisk[]) {
  $('at-risk-list').replaceChildren(
    ...rows.map((r) =>
      el(
        'li',
        { 'data-reference': r.ticket.reference },
        el('b', {}, r.ticket.reference),
        el('span', { class: 'subject' }, r.ticket.subject),
        el('span', { class: `prio prio-${r.ticket.priority}` }, words(r.ticket.priority)),
        el(
          'span',
          { class: 'detail' },
          `${words(r.kind)} ${r.secondsToBreach > 0 ? `due in ${Math.ceil(r.secondsToBreach / 60)} min` : 'due now'}`,
        ),
      ),
    ),
  );
  $('at-risk-empty').hidden = rows.length > 0;
}

function renderCompliance(groups: MetricsGroup[]) {
  $('compliance').replaceChildren(
    ...PRIORITIES.map((p) => {
      const g = groups.find((x) => x.key === p);
      const met = g?.targets.reduce((n, t) => n + t.met, 0) ?? 0;
      const breached = g?.targets.reduce((n, t) => n + t.breached, 0) ?? 0;
      const rate = met + breached ? met / (met + breached) : undefined;
      return el(
        'div',
        { class: 'bar-row' },
        el('span', { class: `label prio-${p}` }, words(p)),
        el('span', { class: 'bar compliance', style: `--share:${rate ?? 0}` }),
        el(
          'span',
          { class: 'value', 'data-compliance': p },
          rate === undefined ? '–' : `${Math.round(rate * 100)} %`,
        ),
      );
    }),
  );
}

let refreshTimer: number | undefined;
/** Reads the at-risk list and compliance again, at most every 2 s. */
function refreshSoon() {
  if (refreshTimer !== undefined) return;
  refreshTimer = window.setTimeout(() => {
    refreshTimer = undefined;
    void refresh();
  }, 2000);
}
async function refresh() {
  try {
    const [risk, metrics] = await Promise.all([
      query<{ ticketsAtRisk: AtRisk[] }>(AT_RISK),
      query<{ slaMetrics: MetricsGroup[] }>(COMPLIANCE),
    ]);
    renderAtRisk(risk.ticketsAtRisk);
    renderCompliance(metrics.slaMetrics);
  } catch (err) {
    $('updated').textContent = `could not read the reports: ${(err as Error).message}`;
  }
}

function subscribeAlerts(c: Client) {
  stopSubscriptions.push(
    c.subscribe<{ slaAlerts: SlaAlert }>(
      { query: SLA_ALERTS, variables: alertVariables },
      {
        next: ({ data }) => {
          if (!data) return;
          alertVariables.after = Math.max(alertVariables.after ?? 0, data.slaAlerts.seq);
          renderAlert(data.slaAlerts);
          refreshSoon();
        },
        error: () => {},
        complete: () => {},
      },
    ),
  );
}

function connect() {
  for (const stop of stopSubscriptions) stop();
  stopSubscriptions = [];
  void client?.dispose();
  client = undefined;
  alertVariables = {};
  if (!token) {
    setStatus('idle', 'paste a staff token to start');
    return;
  }
  setStatus('connecting', 'connecting…');
  const c = createClient({
    url: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    connectionParams: () => ({ authorization: `Bearer ${token}` }),
    lazy: false,
    keepAlive: 10_000,
    retryAttempts: Infinity,
    // Retry everything but a refused or expired token (4403, 4401): a new one is needed.
    shouldRetry: (e) => !(e instanceof CloseEvent && (e.code === 4403 || e.code === 4401)),
    retryWait: async (retries) => new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** retries))),
    onNonLazyError: (e) => {
      const code = e instanceof CloseEvent ? e.code : undefined;
      setStatus(
        'refused',
        code === 4401 ? 'token expired: paste a new one' : 'token refused: paste a staff token',
      );
    },
    on: {
      connected: () => setStatus('live', 'live'),
      closed: (e) => {
        const code = (e as CloseEvent | undefined)?.code;
        if (code !== 4403 && code !== 4401) setStatus('reconnecting', 'reconnecting…');
      },
    },
  });
  client = c;
  stopSubscriptions.push(
    c.subscribe<{ queueStats: QueueStats }>(
      { query: QUEUE_STATS },
      {
        next: ({ data, errors }) => {
          if (errors?.length) {
            setStatus('refused', errors[0]!.message);
            return;
          }
          if (!data) return;
          renderStats(data.queueStats);
          // The first counters say where the log stood: alerts follow on from there.
          if (alertVariables.after === undefined) {
            alertVariables.after = data.queueStats.seq;
            subscribeAlerts(c);
          }
          refreshSoon();
        },
        error: () => {},
        complete: () => {},
      },
    ),
  );
  void refresh();
}

function main() {
  const input = $<HTMLInputElement>('token');
  input.value = token;
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') input.blur();
  });
  input.addEventListener('change', () => {
    token = input.value.trim().replace(/^Bearer\s+/i, '');
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
    connect();
  });
  window.setInterval(() => void (token && refresh()), 60_000);
  connect();
}

main();
