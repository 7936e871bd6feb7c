/**
 * `@tessera/client`: a typed client for Tessera's HTTP API, for an app's backend (app key) and for
 * its web pages (runtime token). Runs in browsers and Node 20+ (global fetch, ReadableStream,
 * TextDecoderStream, WebSocket); its only dependency is openapi-fetch.
 */
export {
  baseUrlOf,
  createApiClient,
  createBrowserClient,
  createServerClient,
  type AcceptedTurn,
  type AnalyticsQuery,
  type AuditEntry,
  type AuditPage,
  type AuditQuery,
  type AuditVerification,
  type BrowserClient,
  type BrowserClientOptions,
  type Chat,
  type ChatList,
  type ChatListQuery,
  type ClientOptions,
  type CostReport,
  type MessageRequest,
  type PackList,
  type PackRun,
  type PackRunRequest,
  type PackRunStarted,
  type PerformanceReport,
  type InsightQuery,
  type EngagementReport,
  type ErrorsReport,
  type BudgetForecast,
  type RawClient,
  type SendOptions,
  type ServerClient,
  type ServerClientOptions,
  type Session,
  type SessionRequest,
  type StreamReplyOptions,
  type Transcript,
  type TranscriptQuery,
  type Turn,
  type UsageReport,
} from './client.js';
export { TesseraError, parseRetryAfter, type TesseraErrorInit } from './errors.js';
export {
  eventStream,
  type ChatEvent,
  type ChatEventData,
  type ChatEventType,
  type EventStreamOptions,
  type PackRunEvent,
  type ReconnectOptions,
  type Usage,
} from './events.js';
export type { Credential, RetryOptions } from './http.js';
export { newMessageId } from './ids.js';
export { SseParser, type SseMessage } from './sse.js';
export { TurnStream, type SendOutcome, type ToolCall, type TurnResult } from './turn.js';
export type { components, operations, paths } from './schema.js';
