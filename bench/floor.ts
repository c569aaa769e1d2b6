import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { toGlobalId } from '../src/server/global-id.js';
import type { WorkflowDefinition } from '../src/workflow/definition.js';

/**
 * The floor: what the same answer costs with nothing but node:http, one pg pool, one SQL statement and
 * JSON.stringify. It answers every POST with the queue page the benchmark asks Docket for (the request
 * body is read and parsed, not interpreted), in the same JSON shape, ids and cursors included.
 */
export interface FloorServer {
  url: string;
  close(): Promise<void>;
}

export const FLOOR_CATEGORIES = ['NEW', 'OPEN'];
export const FLOOR_PAGE_SIZE = 50;

// Like Docket, one count and one keyset page of first + 1 rows, the page joined to its relations.
const QUEUE_SQL = `
select c.total, p.*
from (select count(*) as total from ticket t where t.status_category = any($1::text[])) c
left join lateral (
  select t.id, t.reference, t.subject, t.priority, t.priority_rank, t.status, t.workflow_version_id, t.created_at,
    r.id as requester_id, r.name as requester_name,
    a.id as assignee_id, a.name as assignee_name,
    o.id as organization_id, o.name as organization_name,
    tm.id as team_id, tm.name as team_name,
    (select count(*) from comment cm where cm.ticket_id = t.id) as comment_count
  from (
    select * from ticket t where t.status_category = any($1::text[])
    order by t.priority_rank, t.created_at, t.id limit $2
  ) t
  join app_user r on r.id = t.requester_id
  left join app_user a on a.id = t.assignee_id
  left join organization o on o.id = t.organization_id
  left join team tm on tm.id = t.team_id
) p on true
order by p.priority_rank, p.created_at, p.id`;

interface Row {
  total: string;
  id: string | null;
  reference: string;
  subject: string;
  priority: string;
  priority_rank: number;
  status: string;
  workflow_version_id: string;
  created_at: string;
  requester_id: string;
  requester_name: string;
  assignee_id: string | null;
  assignee_name: string | null;
  organization_id: string | null;
  organization_name: string | null;
  team_id: string | null;
  team_name: string | null;
  comment_count: string;
}

const ref = (type: string, id: string | null, name: string | null) =>
  id === null ? null : { id: toGlobalId(type, id), name };

// Timestamps stay text, as on MikroORM's connections; cursors carry them as ISO 8601, as Docket's do.
const types = new pg.TypeOverrides();
types.setTypeParser(1184, (s: string) => s);

export async function startFloor(databaseUrl: string, poolMax: number): Promise<FloorServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax, types });
  // Workflow versions never change: status names come from their definitions, held in memory.
  const statusNames = new Map<string, Map<string, string>>();
  const versions = await pool.query<{ id: string; definition: WorkflowDefinition }>(
    'select id, definition from workflow_version',
  );
  for (const v of versions.rows) {
    statusNames.set(v.id, new Map(v.definition.statuses.map((s) => [s.key, s.name])));
  }

  const queuePage = async () => {
    const { rows } = await pool.query<Row>({
      name: 'floor-queue',
      text: QUEUE_SQL,
      values: [FLOOR_CATEGORIES, FLOOR_PAGE_SIZE + 1],
    });
    const page = rows.filter((r) => r.id !== null).slice(0, FLOOR_PAGE_SIZE);
    return {
      data: {
        tickets: {
          totalCount: Number(rows[0]?.total ?? 0),
          edges: page.map((r) => ({
            cursor: Buffer.from(
              JSON.stringify([r.priority_rank, new Date(r.created_at).toISOString(), r.id]),
            ).toString('base64url'),
            node: {
              id: toGlobalId('Ticket', r.id!),
              reference: r.reference,
              subject: r.subject,
              priority: r.priority,
              status: {
                key: r.status,
                name: statusNames.get(r.workflow_version_id)?.get(r.status) ?? r.status,
              },
              createdAt: new Date(r.created_at).toISOString(),
              requester: ref('User', r.requester_id, r.requester_name),
              assignee: ref('User', r.assignee_id, r.assignee_name),
              organization: ref('Organization', r.organization_id, r.organization_name),
              team: ref('Team', r.team_id, r.team_name),
              commentCount: Number(r.comment_count),
            },
          })),
        },
      },
    };
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fail = (status: number, message: string) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ message }] }));
      };
      if (req.method !== 'POST') return fail(405, 'POST a GraphQL request');
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(400, 'The body is not JSON');
      }
      queuePage().then(
        (body) => {
          const json = JSON.stringify(body);
          res.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(json),
          });
          res.end(json);
        },
        (err: Error) => fail(500, err.message),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
