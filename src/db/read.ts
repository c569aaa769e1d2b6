import type { EntityManager } from '@mikro-orm/postgresql';
import { statementCounter } from './orm.js';

interface PgConnection {
  query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: unknown[] }>;
}

/**
 * A read-only query on a connection of the ORM's own pool, without the query builder: the queue and
 * the DataLoaders run several of these per request, and knex's per-query work (binding rewrites,
 * query events) cost more CPU than PostgreSQL's answer. Placeholders are written `?`, as elsewhere.
 * Not for use inside a transaction: it takes its own connection.
 */
export async function readRows<T = Record<string, unknown>>(
  em: EntityManager,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = em.getKnex().client as {
    acquireConnection(): Promise<PgConnection>;
    releaseConnection(c: PgConnection): Promise<void>;
  };
  const counter = statementCounter.getStore();
  if (counter) counter.count++;
  const conn = await client.acquireConnection();
  try {
    const { name, text } = prepared(sql);
    return (await conn.query({ name, text, values })).rows as T[];
  } finally {
    await client.releaseConnection(conn);
  }
}

const statements = new Map<string, { name?: string; text: string }>();
const MAX_PREPARED = 500;

/**
 * `?` placeholders become PostgreSQL's `$1, $2, …` (the SQL here has no other question marks), and each
 * distinct text gets a statement name: each connection then parses and plans it once, not per request.
 * The read SQL comes from a small set of shapes; past MAX_PREPARED texts, the rest run unprepared.
 */
function prepared(sql: string): { name?: string; text: string } {
  let s = statements.get(sql);
  if (!s) {
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    s = statements.size < MAX_PREPARED ? { name: `docket_read_${statements.size}`, text } : { text };
    statements.set(sql, s);
  }
  return s;
}
