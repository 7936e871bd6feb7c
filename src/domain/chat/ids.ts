/** Deterministic ids for the documents a turn writes, so every retried write lands on the same id. */
export const messageIds = {
  user: (turnId: string, clientMessageId?: string) => clientMessageId ?? `${turnId}:u`,
  assistant: (turnId: string, step: number) => `${turnId}:a${step}`,
  tool: (turnId: string, step: number, index: number) => `${turnId}:t${step}.${index}`,
};

export const eventIds = {
  llmCall: (appId: string, chatId: string, turnId: string, step: number) => `llm:${appId}:${chatId}:${turnId}:${step}`,
  audit: (kind: string, ...parts: (string | number)[]) => `audit:${kind}:${parts.join(':')}`,
};
