/**
 * The admin's actions on one app (the Apps page): its settings (tier, limits, allowed origins, the
 * monthly budget of its ops policy), pause and resume, a throttle by hand and lifting it, and key
 * rotation (confirmed first; the new key is shown once). Every call is the public API's, with the
 * session's CSRF token (api.ts); the API audits each.
 */
import { useState } from 'preact/hooks';
import { call } from './api';
import { useBusyAction } from './busy-action';
import type { AppDetail } from './apps';

const TIERS = ['free', 'pro', 'enterprise'] as const;

/** Runs one action at a time, with its error (shown in `role="alert"`) and its outcome. */
function useAction(onChanged: () => Promise<void>) {
  const { busy, error, run: runBusy } = useBusyAction();
  const [done, setDone] = useState('');
  const run = (work: () => Promise<string>) => {
    setDone('');
    return runBusy(async () => {
      const outcome = await work();
      await onChanged();
      setDone(outcome);
    });
  };
  return { busy, error, done, run };
}

const Outcome = ({ error, done }: { error: string; done: string }) => (
  <>
    {error && <p role="alert" class="error">{error}</p>}
    {done && <p role="status" class="ok">{done}</p>}
  </>
);

export function AppActions({ app, onChanged }: { app: AppDetail; onChanged: () => Promise<void> }) {
  return (
    <>
      <SettingsForm key={`${app.app_id}:settings`} app={app} onChanged={onChanged} />
      <PauseControl app={app} onChanged={onChanged} />
      <ThrottleForm app={app} onChanged={onChanged} />
      <KeyRotation app={app} onChanged={onChanged} />
    </>
  );
}

function SettingsForm({ app, onChanged }: { app: AppDetail; onChanged: () => Promise<void> }) {
  const [tier, setTier] = useState(app.tier);
  const [concurrent, setConcurrent] = useState(String(app.limits.max_concurrent_turns));
  const [perMinute, setPerMinute] = useState(String(app.limits.turns_per_minute));
  const [origins, setOrigins] = useState(app.allowed_origins.join('\n'));
  const [budget, setBudget] = useState(app.budget.monthly_budget_usd === null ? '' : String(app.budget.monthly_budget_usd));
  const { busy, error, done, run } = useAction(onChanged);

  const save = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const limits: Record<string, number> = {};
      if (Number(concurrent) !== app.limits.max_concurrent_turns) limits.max_concurrent_turns = Number(concurrent);
      if (Number(perMinute) !== app.limits.turns_per_minute) limits.turns_per_minute = Number(perMinute);
      const allowed = origins.split('\n').map((line) => line.trim()).filter((line) => line !== '');
      await call('PATCH', `/v1/apps/${app.app_id}`, { tier, allowed_origins: allowed, ...(Object.keys(limits).length > 0 ? { limits } : {}) });
      const monthly = budget.trim() === '' ? null : Number(budget);
      if (monthly !== app.budget.monthly_budget_usd) {
        // The policy's other overrides are kept: the PUT replaces them all.
        const policy = await call<{ overrides: Record<string, unknown> }>('GET', `/v1/ops/policies/${app.app_id}`);
        await call('PUT', `/v1/ops/policies/${app.app_id}`, { ...policy.overrides, monthly_budget_usd: monthly });
      }
      return 'Settings saved.';
    });
  };

  return (
    <form class="settings" aria-labelledby="settings-title" onSubmit={save}>
      <h2 id="settings-title">Settings</h2>
      <label>Tier
        <select name="tier" value={tier} onChange={(e) => setTier((e.target as HTMLSelectElement).value as AppDetail['tier'])}>
          {TIERS.map((t) => <option value={t}>{t}</option>)}
        </select>
      </label>
      <label>Concurrent turns
        <input name="max_concurrent_turns" type="number" min={1} max={100000} step={1} required value={concurrent} onInput={(e) => setConcurrent((e.target as HTMLInputElement).value)} />
      </label>
      <label>Turns per minute
        <input name="turns_per_minute" type="number" min={1} max={1000000} step={1} required value={perMinute} onInput={(e) => setPerMinute((e.target as HTMLInputElement).value)} />
      </label>
      <label>Allowed origins (one per line)
        <textarea name="allowed_origins" rows={3} value={origins} onInput={(e) => setOrigins((e.target as HTMLTextAreaElement).value)} />
      </label>
      <label>Monthly budget (USD; empty: none)
        <input name="monthly_budget_usd" type="number" min={0} step="0.01" value={budget} onInput={(e) => setBudget((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={busy}>Save settings</button>
      <Outcome error={error} done={done} />
    </form>
  );
}

function PauseControl({ app, onChanged }: { app: AppDetail; onChanged: () => Promise<void> }) {
  const { busy, error, done, run } = useAction(onChanged);
  const toggle = () => void run(async () => {
    await call('PATCH', `/v1/apps/${app.app_id}`, { paused: !app.paused });
    return app.paused ? 'Resumed: new turns are admitted.' : 'Paused: new turns are refused.';
  });
  return (
    <section class="action" aria-labelledby="pause-title">
      <h2 id="pause-title">Pause</h2>
      <p class="hint">{app.paused ? 'The app is paused: new turns are refused.' : 'A paused app is refused new turns; turns in progress finish.'}</p>
      <button type="button" disabled={busy} onClick={toggle}>{app.paused ? 'Resume' : 'Pause'}</button>
      <Outcome error={error} done={done} />
    </section>
  );
}

function ThrottleForm({ app, onChanged }: { app: AppDetail; onChanged: () => Promise<void> }) {
  const [factor, setFactor] = useState('0.5');
  const [minutes, setMinutes] = useState('30');
  const [reason, setReason] = useState('');
  const { busy, error, done, run } = useAction(onChanged);
  const path = `/v1/ops/apps/${app.app_id}/throttle`;

  const apply = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const applied = await call<{ factor: number; expires_at: string }>('POST', path, { factor: Number(factor), minutes: Number(minutes), reason: reason.trim() });
      setReason('');
      return `Throttled ×${applied.factor} until ${new Date(applied.expires_at).toLocaleString()}.`;
    });
  };
  const lift = () => void run(async () => {
    await call('DELETE', path);
    return 'Throttle lifted.';
  });

  return (
    <form class="action" aria-labelledby="throttle-title" onSubmit={apply}>
      <h2 id="throttle-title">Throttle</h2>
      <p class="hint">Limits and fairness weight times the factor, as the autopilot throttles; it lets go after the minutes given.</p>
      <label>Factor
        <input name="factor" type="number" min={0.01} max={0.99} step={0.01} required value={factor} onInput={(e) => setFactor((e.target as HTMLInputElement).value)} />
      </label>
      <label>Minutes
        <input name="minutes" type="number" min={1} max={1440} step={1} required value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} />
      </label>
      <label>Reason
        <input name="reason" maxLength={500} required value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit" disabled={busy}>Throttle</button>
      {app.ops.throttle_factor !== null && <button type="button" disabled={busy} onClick={lift}>Lift throttle</button>}
      <Outcome error={error} done={done} />
    </form>
  );
}

function KeyRotation({ app, onChanged }: { app: AppDetail; onChanged: () => Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [newKey, setNewKey] = useState('');
  const [copied, setCopied] = useState('');
  const { busy, error, run } = useAction(onChanged);

  const rotate = () => void run(async () => {
    const rotated = await call<{ api_key: string }>('POST', `/v1/apps/${app.app_id}/keys/rotate`);
    setConfirming(false);
    setNewKey(rotated.api_key);
    return '';
  });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(newKey);
      setCopied('Copied.');
    } catch {
      setCopied('Copying is not allowed here: select the key and copy it.');
    }
  };

  return (
    <section class="action" aria-labelledby="key-title">
      <h2 id="key-title">App key</h2>
      {!confirming && !newKey && <button type="button" onClick={() => setConfirming(true)}>Rotate key…</button>}
      {confirming && (
        <div role="group" aria-labelledby="confirm-rotate">
          <p id="confirm-rotate">Issue a new key for {app.app_id}? The current key stops working at once, and the sessions signed in with it end.</p>
          <button type="button" disabled={busy} onClick={rotate}>Rotate the key</button>
          <button type="button" disabled={busy} onClick={() => setConfirming(false)}>Cancel</button>
        </div>
      )}
      {newKey && (
        <div class="new-key">
          <label>New key (shown once)
            <input name="new_key" readOnly value={newKey} onFocus={(e) => (e.target as HTMLInputElement).select()} />
          </label>
          <button type="button" onClick={() => void copy()}>Copy key</button>
          <p role="status">The old key no longer works. Copy the new key now: it is not shown again. {copied}</p>
        </div>
      )}
      {error && <p role="alert" class="error">{error}</p>}
    </section>
  );
}
