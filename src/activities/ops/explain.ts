/**
 * The incident's explanation: the LLM is asked for a short summary and one playbook from the
 * allowed list. It only writes text: its suggestion is recorded, never executed. When the LLM is
 * down, slow, or answers outside the list, a deterministic summary is written instead.
 */
import { Incidents } from '../../stores/incidents';
import type { OpsActivityDeps } from './context';
import { parseSuggestion, plainSummary, type Finding, type OpsAction, type PlaybookPlan } from './types';

const MAX_SUMMARY_CHARS = 2000;

export interface Explanation {
  summary: string;
  source: 'llm' | 'plain';
  suggested?: OpsAction;
}

export function explainActivities(deps: OpsActivityDeps) {
  const incidents = new Incidents(deps.mongo, deps.redis);
  const now = deps.now ?? (() => new Date());

  async function askLlm(finding: Finding, allowed: readonly OpsAction[]): Promise<Explanation | undefined> {
    if (!deps.llm) return undefined;
    try {
      const reply = await deps.llm.client.chat.completions.create(
        {
          model: deps.llm.model,
          temperature: 0,
          max_completion_tokens: 300,
          messages: [
            {
              role: 'system',
              content:
                'You summarize incidents of a multi-tenant AI runtime for its operators in at most three sentences. ' +
                'Then, on a last line, write SUGGESTED_PLAYBOOK=<action>, choosing exactly one action from the list given.',
            },
            { role: 'user', content: `Incident: ${finding.summary}\nEvidence: ${JSON.stringify(finding.evidence)}\nAllowed actions: ${allowed.join(', ')}` },
          ],
        },
        { timeout: deps.llm.timeoutMs ?? 10_000, maxRetries: 0 },
      );
      const text = reply.choices[0]?.message.content?.trim() ?? '';
      const suggested = parseSuggestion(text, allowed);
      if (!suggested || !text) return undefined;
      return { summary: text.slice(0, MAX_SUMMARY_CHARS), source: 'llm', suggested };
    } catch {
      return undefined;
    }
  }

  return {
    async explainIncident(input: { appId: string; incidentId: string; finding: Finding; plan: PlaybookPlan; allowed: OpsAction[] }): Promise<Explanation> {
      const explanation: Explanation = (await askLlm(input.finding, input.allowed)) ?? {
        summary: plainSummary(input.finding, input.plan),
        source: 'plain',
      };
      await incidents.record(
        input.appId,
        input.incidentId,
        { step_id: 'explained', kind: 'explained', at: now().toISOString(), detail: explanation.source },
        { summary: explanation.summary, summary_source: explanation.source, ...(explanation.suggested ? { suggested_action: explanation.suggested } : {}) },
        now(),
      );
      return explanation;
    },
  };
}
