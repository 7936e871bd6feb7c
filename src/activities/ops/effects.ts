/**
 * Where ops actions leave Tessera: notifications and pack switches. Small interfaces with a safe
 * default, so the autopilot runs without either configured:
 * - `Notifier`: the default writes a structured log line; the channels (signed webhook, Slack-
 *   compatible webhook, e-mail over SMTP: ./channels.ts) are Notifiers too, each driven by the
 *   `deliverNotification` activity (./notify.ts).
 * - `PackSwitch`: disables/re-enables a pack for an app; without one the action is recorded as
 *   unavailable (the packs' per-app enable/disable plugs in here).
 */
import type { Logger } from 'pino';

export interface OpsNotice {
  app_id: string;
  incident_id: string;
  rule: string;
  kind: string;
  summary: string;
  /** Stable across retries: receivers dedup on it (`webhook-id`, the e-mail's Message-ID). */
  notification_id?: string;
  severity?: string;
  /** What the person is asked to decide, when the notice wants a decision. */
  decision_wanted?: string;
  links?: { approve?: string; reject?: string; incident?: string };
}

export interface Notifier {
  notify(notice: OpsNotice): Promise<void>;
}

export interface PackSwitch {
  setEnabled(appId: string, pack: string, enabled: boolean, reason: string): Promise<void>;
}

export function logNotifier(log: Pick<Logger, 'warn'>): Notifier {
  return {
    async notify(notice) {
      log.warn({ ops_notice: notice }, `ops: ${notice.kind} — ${notice.summary}`);
    },
  };
}
