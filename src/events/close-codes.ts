/**
 * WebSocket close codes Docket sends besides graphql-ws's own (docs/REALTIME.md). A client branches on
 * them: sign in again, or reconnect and resubscribe with `after` set to the last `seq` it received.
 */
export const CloseCodes = {
  /** No token, a malformed one, a bad signature, or a user that does not exist. Do not retry with it. */
  TOKEN_INVALID: 4403,
  /** The token expired (at connection, or while connected). Get a new token, then reconnect. */
  TOKEN_EXPIRED: 4401,
  /** The client did not take its events fast enough. Reconnect and resubscribe with `after`. */
  SLOW_CONSUMER: 4413,
  /**
   * The database is unreachable (RFC 6455's "Try Again Later"): reconnect after a few seconds and
   * resubscribe with `after`. Open subscriptions stay connected through an outage; only new
   * connections are refused.
   */
  TRY_AGAIN_LATER: 1013,
  /** Docket failed (logged on the server): reconnect and resubscribe with `after`. */
  INTERNAL_ERROR: 4500,
} as const;
