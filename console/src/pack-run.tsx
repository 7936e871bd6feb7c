/**
 * One pack run: its DAG drawn from the pack's step definitions (columns by dependency depth, edges
 * as SVG lines, and the same graph as a table for whoever cannot see the drawing), each step's state
 * updated live from the run's event stream (`EventSource`, the console cookie), its spend against
 * its budget, and Cancel (confirmed first).
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { call, get, type Session } from './api';
import { formatUsd } from './chat-types';
import { layerSteps, type GraphStep } from './dag';
import { linkTo } from './router';

interface StepView { status: string; cost_usd?: number; error?: string }
interface RunView {
  run_id: string;
  pack: string;
  status: string;
  steps: Record<string, StepView>;
  cost_usd: number;
  budget_usd?: number;
  graph?: GraphStep[];
}
interface StreamEvent { type: string; turn_id?: string; data: Record<string, unknown> }

/** The step state each progress event leaves behind. */
const STEP_EVENTS: Record<string, string> = {
  'step.started': 'running',
  'step.completed': 'completed',
  'step.failed': 'failed',
  'step.cancelled': 'cancelled',
  'step.skipped': 'skipped',
};

interface Edge { x1: number; y1: number; x2: number; y2: number; key: string }

export function PackRunPage({ session, runId, appId }: { session: Session; runId: string; appId: string }) {
  const [run, setRun] = useState<RunView | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [streamState, setStreamState] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  const qs = session.kind === 'admin' ? `?app_id=${encodeURIComponent(appId)}` : '';
  const base = `/v1/pack-runs/${encodeURIComponent(runId)}`;

  const reload = async () => {
    try {
      setRun(await get<RunView>(`${base}${qs}`));
      setError('');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    setRun(null);
    void reload();
    const source = new EventSource(`${base}/events${qs}`);
    const stepState = (step: string, status: string) =>
      setRun((shown) => (shown ? { ...shown, steps: { ...shown.steps, [step]: { ...shown.steps[step], status } } } : shown));
    for (const [type, status] of Object.entries(STEP_EVENTS)) {
      source.addEventListener(type, (message) => {
        const event = JSON.parse((message as MessageEvent<string>).data) as StreamEvent;
        const step = event.turn_id ?? (typeof event.data.step === 'string' ? event.data.step : undefined);
        if (step) stepState(step, status);
      });
    }
    // The run ended: its final states, spend and outputs are the stored run's.
    source.addEventListener('run.completed', () => void reload());
    source.onopen = () => setStreamState('live');
    source.onerror = () => setStreamState('reconnecting');
    return () => source.close();
  }, [runId, appId]);

  const cancel = async () => {
    if (!window.confirm(`Cancel run ${runId}? Its running steps are cancelled and no new step starts.`)) return;
    setNotice('');
    try {
      await call('POST', `${base}/cancel${qs}`);
      setNotice('Cancelling: the running steps stop.');
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const back = `/console/packs${qs}`;
  const graph = run?.graph ?? Object.keys(run?.steps ?? {}).map((id) => ({ id, template: '', depends_on: [] }));
  return (
    <section aria-labelledby="run-title">
      <p><a href={back} onClick={linkTo(back)}>← All runs</a></p>
      <h1 id="run-title">Run {runId}</h1>
      {error && <p role="alert" class="error">{error}</p>}
      {run && (
        <>
          <dl class="facts">
            <dt>Pack</dt><dd>{run.pack}</dd>
            <dt>Status</dt><dd data-run-status>{run.status}</dd>
            <dt>Spend (USD)</dt>
            <dd class="budget">
              {run.budget_usd !== undefined ? (
                <>
                  <meter id="run-spend" min={0} max={run.budget_usd} value={Math.min(run.cost_usd, run.budget_usd)} aria-label="Spend against the budget" />{' '}
                  {formatUsd(run.cost_usd)} of {formatUsd(run.budget_usd)} ({Math.round((run.cost_usd / run.budget_usd) * 100)}%)
                </>
              ) : (
                <>{formatUsd(run.cost_usd)} (no budget)</>
              )}
            </dd>
          </dl>
          {run.status === 'running' && <button type="button" onClick={() => void cancel()}>Cancel run</button>}
          {notice && <p role="status">{notice}</p>}
          <p class="hint" role="status">{streamState === 'live' ? 'Following the run live.' : streamState === 'connecting' ? 'Connecting to the run\'s events…' : 'Reconnecting to the run\'s events…'}</p>
          <h2>Steps</h2>
          <DagDrawing graph={graph} steps={run.steps} />
          <table class="steps">
            <caption>The steps, in the pack's order, with what each depends on</caption>
            <thead><tr><th scope="col">Step</th><th scope="col">Template</th><th scope="col">Depends on</th><th scope="col">State</th><th scope="col">Cost (USD)</th></tr></thead>
            <tbody>
              {graph.map((step) => {
                const state = run.steps[step.id];
                return (
                  <tr key={step.id} data-step-row={step.id}>
                    <th scope="row">{step.id}</th>
                    <td>{step.template}</td>
                    <td>{step.depends_on.join(', ') || '—'}</td>
                    <td data-step-state>{state?.status ?? 'pending'}{state?.error ? `: ${state.error}` : ''}</td>
                    <td>{state?.cost_usd !== undefined ? formatUsd(state.cost_usd) : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

/** The graph drawn: a column per dependency depth, the edges as SVG lines measured from the boxes. */
function DagDrawing({ graph, steps }: { graph: GraphStep[]; steps: Record<string, StepView> }) {
  const box = useRef<HTMLDivElement>(null);
  const [edges, setEdges] = useState<Edge[]>([]);
  const columns = layerSteps(graph);
  const shape = graph.map((step) => `${step.id}<${step.depends_on.join(',')}`).join(';');

  useLayoutEffect(() => {
    const root = box.current;
    if (!root) return;
    const measure = () => {
      const origin = root.getBoundingClientRect();
      const at = (id: string) => root.querySelector(`[data-step="${CSS.escape(id)}"]`)?.getBoundingClientRect();
      const drawn: Edge[] = [];
      for (const step of graph) {
        const to = at(step.id);
        for (const dep of step.depends_on) {
          const from = at(dep);
          if (!from || !to) continue;
          drawn.push({
            key: `${dep}->${step.id}`,
            x1: from.right - origin.left + root.scrollLeft,
            y1: from.top + from.height / 2 - origin.top,
            x2: to.left - origin.left + root.scrollLeft,
            y2: to.top + to.height / 2 - origin.top,
          });
        }
      }
      setEdges(drawn);
    };
    measure();
    addEventListener('resize', measure);
    return () => removeEventListener('resize', measure);
    // Measured again when a state changes: a box's width follows its text.
  }, [shape, graph.map((step) => steps[step.id]?.status ?? '').join()]);

  return (
    <figure>
      <div class="dag" ref={box}>
        <svg class="edges" aria-hidden="true" width="100%" height="100%">
          {edges.map((edge) => <line key={edge.key} data-edge={edge.key} x1={edge.x1} y1={edge.y1} x2={edge.x2} y2={edge.y2} stroke="#6b6b7a" stroke-width="1.5" />)}
        </svg>
        {columns.map((column, depth) => (
          <ol key={depth} aria-label={`Depth ${depth}`}>
            {column.map((step) => {
              const status = steps[step.id]?.status ?? 'pending';
              return (
                <li key={step.id} class="step" data-step={step.id} data-status={status}>
                  <strong>{step.id}</strong>
                  <br />
                  <span class="state">{status}</span>
                </li>
              );
            })}
          </ol>
        ))}
      </div>
      <figcaption class="hint">Steps left to right by dependency depth; a line joins a step to each step it depends on (the table below says the same).</figcaption>
    </figure>
  );
}
