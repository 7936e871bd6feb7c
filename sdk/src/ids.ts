/** Message ids the SDK makes when the caller chooses none: `m_` and 128 random bits in hex (the
 * API takes 1-128 letters, digits, `.`, `_` or `-`). `crypto.getRandomValues` is in every browser
 * (also outside secure contexts, unlike `randomUUID`) and in Node 20+. */
export function newMessageId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `m_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}
