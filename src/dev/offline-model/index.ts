/**
 * The offline model: a loopback HTTP server speaking OpenAI's Chat Completions API, streaming
 * included, that answers deterministically, so the runtime and its tests need no API key and no
 * network. Point any OpenAI client at `url` (any API key).
 *
 * Conventions (the last user message steers it):
 * - Text: "Offline reply to: <first 12 words>" and one to six sentences picked by a hash of the
 *   conversation (messages and `seed`). Same conversation, same content, streamed or not.
 * - `[[tool:NAME {json args}]]` calls the offered tool NAME with those arguments (several markers:
 *   parallel calls; invalid JSON passes through verbatim). Without markers: "what time" →
 *   `current_time`, "calculate|compute <rest of line>" → `calculator {"expression"}`, "fetch" + an
 *   http(s) URL → `http_get {"url"}`, each only when offered.
 *   `[[tool:NAME "json string"]]` passes that string's value as the arguments, exactly.
 * - `[[reply "json string"]]` answers exactly that string's value (any character, `\u0000` too).
 * - After tool results (last message role `tool`) it answers "Tool results: <name>: <result>; ...".
 * - `[[loop]]` makes it call a tool on every request (the first offered one if nothing else
 *   matches): for testing a runtime's tool-step limit.
 * - `tool_choice`: "none" never calls, "required" always calls, `{function: {name}}` calls that.
 * - `max_tokens` / `max_completion_tokens` cut the answer: finish_reason "length".
 * - Request header `x-offline-fail: <status>` answers that status (400-599) in OpenAI's error
 *   shape; `x-offline-fail: midstream` drops the connection half-way through the answer. Append
 *   `;times=<n>` to fail only the first n identical requests, so a retry then succeeds.
 * - `faults` (option, or `setFaults()` on a running server) fails a random share of completions
 *   (HTTP 500 or a connection dropped half-way) and stalls another share half-way for a while.
 * - `tokenLatencyMs` simulates generation time per output token (streams pace their chunks).
 * - Request header `x-offline-stamp: send-time` starts each streamed text delta with `<t:EPOCH_MS>`,
 *   the moment it was written (for latency benchmarks; see stamp.ts).
 */
export { startOfflineModel, buildOfflineModelApp, OFFLINE_MODEL_IDS, type OfflineModelOptions, type RunningOfflineModel } from './server';
export { FAILURE_HEADER } from './failures';
export { BadRandomFaultsError, type RandomFaults } from './random-faults';
export { LOOP_MARKER } from './tools';
export { preciseNow, readStamps, stripStamps, STAMP_HEADER, STAMP_VALUE } from './stamp';
