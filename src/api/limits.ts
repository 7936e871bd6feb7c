/**
 * The limits that protect the HTTP API from oversized or slow requests and from too many live
 * streams (README "Limits"). Read from the configuration (`apiLimitsFromConfig`); the defaults are
 * the configuration's defaults.
 */
import type { Config } from '../config';
import { DEFAULT_STREAM_SETTINGS } from './streams/settings';

export interface ApiLimits {
  /** Largest request body (413 `payload_too_large`). */
  bodyLimitBytes: number;
  /** Longest request target, path and query (414 `uri_too_long`). */
  maxUrlBytes: number;
  /** Largest request line and headers together (431 `headers_too_large`, answered by Node's parser). */
  maxHeaderBytes: number;
  /** The request line and headers must arrive within this (408 `request_timeout`). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this (408 `request_timeout`). */
  requestTimeoutMs: number;
  /** A connection with no traffic either way for this long is closed; live streams are exempt. */
  idleTimeoutMs: number;
  /** Largest WebSocket message a client may send. */
  wsMaxMessageBytes: number;
  /** Open SSE/WebSocket streams per runtime token, across every replica (429 `too_many_streams_for_token`). */
  streamsPerToken: number;
  /** Open SSE/WebSocket streams per app, across every replica (429 `too_many_streams_for_app`). */
  streamsPerApp: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  bodyLimitBytes: 256 * 1024,
  maxUrlBytes: 8 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 600_000,
  wsMaxMessageBytes: 64 * 1024,
  streamsPerToken: DEFAULT_STREAM_SETTINGS.streamsPerToken,
  streamsPerApp: DEFAULT_STREAM_SETTINGS.streamsPerApp,
};

export function apiLimitsFromConfig(config: Config): ApiLimits {
  return {
    bodyLimitBytes: config.TESSERA_BODY_LIMIT_BYTES,
    maxUrlBytes: config.TESSERA_MAX_URL_BYTES,
    maxHeaderBytes: config.TESSERA_MAX_HEADER_BYTES,
    headersTimeoutMs: config.TESSERA_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.TESSERA_REQUEST_TIMEOUT_MS,
    idleTimeoutMs: config.TESSERA_IDLE_TIMEOUT_MS,
    wsMaxMessageBytes: DEFAULT_API_LIMITS.wsMaxMessageBytes,
    streamsPerToken: config.TESSERA_STREAMS_PER_TOKEN,
    streamsPerApp: config.TESSERA_STREAMS_PER_APP,
  };
}
