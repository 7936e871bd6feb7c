/**
 * The overview's chart: turns per second of each app over the last minutes, from the snapshots the
 * page received (kept in page memory, nothing fetched). One uPlot instance, fed new data per
 * snapshot; rebuilt only when the set of apps changes.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';

export interface LivePoint {
  /** Unix seconds. */
  t: number;
  turnsPerSecond: Record<string, number>;
}

/** The first is the console's series colour (test/console/support.ts `seriesPixels` looks for it). */
const COLOURS = ['#1f5fbf', '#c2410c', '#15803d', '#7e22ce', '#b91c1c', '#0e7490', '#a16207', '#be185d'];
/** More apps than this: the chart shows the busiest, the table all. */
const MAX_SERIES = COLOURS.length;

export function TurnsChart({ history, appIds }: { history: LivePoint[]; appIds: string[] }) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const last = history[history.length - 1];
  const shown = [...appIds].sort((a, b) => (last?.turnsPerSecond[b] ?? 0) - (last?.turnsPerSecond[a] ?? 0)).slice(0, MAX_SERIES).sort();
  const key = shown.join('\n');
  // A first point a minute back with no values: one snapshot alone would stretch uPlot's time axis over years.
  const points = history.length === 1 && last ? [{ t: last.t - 60, turnsPerSecond: {} }, last] : history;
  const data = (): uPlot.AlignedData => [points.map((p) => p.t), ...shown.map((app) => points.map((p) => p.turnsPerSecond[app] ?? null))];

  useEffect(() => {
    if (!holder.current) return;
    plot.current = new uPlot(
      {
        width: Math.max(320, Math.min(900, holder.current.clientWidth || 800)),
        height: 180,
        series: [{}, ...shown.map((app, i) => ({ label: app, stroke: COLOURS[i % COLOURS.length], width: 2, points: { size: 5 } }))],
        axes: [{}, { values: (_u: uPlot, ticks: number[]) => ticks.map((t) => t.toFixed(2)), size: 60 }],
        scales: { x: { time: true }, y: { range: (_u: uPlot, _min: number, max: number) => [0, Math.max(0.1, max * 1.1)] } },
        legend: { show: true },
      },
      data(),
      holder.current,
    );
    return () => {
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key]);

  useEffect(() => {
    plot.current?.setData(data());
  });

  const span = last && history[0] ? Math.round(last.t - history[0].t) : 0;
  const total = last ? Object.values(last.turnsPerSecond).reduce((sum, v) => sum + v, 0) : 0;
  return (
    <figure>
      <div ref={holder} class="chart" role="img" aria-label={`Turns per second over the last ${span} s for ${shown.join(', ')}; now ${total.toFixed(2)} in all`} />
      <figcaption>Turns per second, last minutes{appIds.length > shown.length ? ` (the ${shown.length} busiest apps)` : ''}.</figcaption>
    </figure>
  );
}
