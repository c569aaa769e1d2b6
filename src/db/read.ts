import type { EntityManager } from '@mikro-orm/postgresql';
import { statementCounter } from './orm.js';

interface PgConnection {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
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
    return (await conn.query(numbered(sql), values)).rows as T[];
  } finally {
    await client.releaseConnection(conn);
  }
}

const cache = new Map<string, string>();

/** `?` placeholders to PostgreSQL's `$1, $2, …` (the SQL here has no other question marks). */
function numbered(sql: string): string {
  let out = cache.get(sql);
  if (out === undefined) {
    let i = 0;
    out = sql.replace(/\?/g, () => `$${++i}`);
    if (cache.size < 1000) cache.set(sql, out);
  }
  return out;
}
