import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Definitions of immutable versions (workflows, SLA policies, business calendars), cached for the
 * life of the process: a version never changes once written. Concurrent first lookups share one
 * query; a failed lookup is forgotten so the next one tries again.
 */
export class VersionCache<T> {
  private readonly pending = new Map<string, Promise<T>>();
  private readonly settled = new Map<string, T>();

  constructor(private readonly load: (em: EntityManager, versionId: string) => Promise<T>) {}

  get(em: EntityManager, versionId: string): Promise<T> {
    let cached = this.pending.get(versionId);
    if (!cached) {
      cached = this.load(em, versionId).then((value) => {
        this.settled.set(versionId, value);
        return value;
      });
      cached.catch(() => this.pending.delete(versionId));
      this.pending.set(versionId, cached);
    }
    return cached;
  }

  /** The value when already loaded: lets hot field resolvers answer without a promise. */
  peek(versionId: string): T | undefined {
    return this.settled.get(versionId);
  }

  remember(versionId: string, value: T): void {
    this.pending.set(versionId, Promise.resolve(value));
    this.settled.set(versionId, value);
  }
}
