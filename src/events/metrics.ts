import type { EntityManager } from '@mikro-orm/postgresql';
import { readRows } from '../db/read.js';
import { gauge, onScrape } from '../ops/metrics.js';
import type { EventFeed } from './event-feed.js';

const head = gauge({
  name: 'docket_event_log_head_seq',
  help: 'Sequence number of the last committed event of the log (read at scrape)',
});
const position = gauge({
  name: 'docket_event_feed_position_seq',
  help: 'Sequence number of the last event this process’s feed handed to its subscribers',
});
const lag = gauge({
  name: 'docket_event_feed_lag_events',
  help: 'Events committed that this process’s feed has not read yet (head − position): subscribers here are this far behind',
});
const listeners = gauge({
  name: 'docket_event_feed_listeners',
  help: 'Subscriptions (and wallboard counters) following this process’s feed',
});

/**
 * Reports a server process's event feed against the log's head at every scrape (one indexed read of
 * one row). The head is read before the position, so a lag is never negative by a commit in between.
 * Returns the function that stops reporting.
 */
export function watchFeed(feed: EventFeed, em: EntityManager): () => void {
  return onScrape('event_feed', async () => {
    const [row] = await readRows<{ last_seq: string }>(
      em,
      'select last_seq from event_sequence where id = 1',
    );
    const last = Number(row?.last_seq ?? 0);
    const at = feed.position;
    head.set(last);
    position.set(at);
    lag.set(Math.max(0, last - at));
    listeners.set(feed.listenerCount);
  });
}
