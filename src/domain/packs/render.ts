/**
 * Prompt templating of pack steps: `{{input.<key>}}` and `{{steps.<id>.output}}`, nothing else.
 * `references` lists what a prompt names (for the DAG checks); `renderPrompt` fills them in.
 */
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const INPUT_REF = /^input\.([a-z][a-z0-9_]*)$/;
const STEP_REF = /^steps\.([a-z0-9]+(?:[_-][a-z0-9]+)*)\.output$/;

export type PromptReference = { kind: 'input'; key: string } | { kind: 'step'; step: string } | { kind: 'invalid'; text: string };

export function references(prompt: string): PromptReference[] {
  return [...prompt.matchAll(PLACEHOLDER)].map(([, body = '']) => {
    const input = INPUT_REF.exec(body);
    if (input) return { kind: 'input', key: input[1]! };
    const step = STEP_REF.exec(body);
    if (step) return { kind: 'step', step: step[1]! };
    return { kind: 'invalid', text: body };
  });
}

/** Fills the placeholders in; a value that is missing is an error (the DAG checks prevent it). */
export function renderPrompt(prompt: string, values: { input: Record<string, string>; outputs: Record<string, string> }): string {
  return prompt.replace(PLACEHOLDER, (whole, body: string) => {
    const input = INPUT_REF.exec(body);
    if (input) {
      const value = values.input[input[1]!];
      if (value === undefined) throw new Error(`no input '${input[1]}' for ${whole}`);
      return value;
    }
    const step = STEP_REF.exec(body);
    if (step) {
      const value = values.outputs[step[1]!];
      if (value === undefined) throw new Error(`no output of step '${step[1]}' for ${whole}`);
      return value;
    }
    throw new Error(`unknown placeholder ${whole}`);
  });
}

/** The steps a prompt reads the output of. */
export function stepReferences(prompt: string): string[] {
  return [...new Set(references(prompt).flatMap((ref) => (ref.kind === 'step' ? [ref.step] : [])))];
}
