/** How live event streams behave; the defaults suit browsers, tests shorten the intervals. */
export interface StreamSettings {
  /** Events read from Redis (and held in memory) at a time per client. */
  batchSize: number;
  /** Longest single blocking read; the reader simply reads again after it. */
  blockMs: number;
  /** SSE comment / WebSocket ping interval, so proxies keep the connection and dead peers show. */
  heartbeatMs: number;
  /** A client that takes no data for this long (its socket stays full) is disconnected; it can resume. */
  stallTimeoutMs: number;
  /** Streams this process serves at once (each holds one Redis connection); more answer 503. */
  maxStreams: number;
  /** Reconnect delay an EventSource is told to use (SSE `retry:`). */
  sseRetryMs: number;
  /** Open streams one runtime token may hold, across every replica (more answer 429). */
  streamsPerToken: number;
  /** Open streams one app may hold, across every replica (more answer 429). */
  streamsPerApp: number;
  /** A stream's slot lapses this long after its process stopped refreshing it (it died). */
  streamSlotTtlMs: number;
}

export const DEFAULT_STREAM_SETTINGS: StreamSettings = {
  batchSize: 100,
  blockMs: 30_000,
  heartbeatMs: 15_000,
  stallTimeoutMs: 60_000,
  maxStreams: 2_000,
  sseRetryMs: 2_000,
  streamsPerToken: 10,
  streamsPerApp: 1_000,
  streamSlotTtlMs: 30_000,
};
