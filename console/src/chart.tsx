/**
 * One uPlot chart for the Analytics page: lines over time, or bars over categories (a model, a
 * template, a user). The first series is always drawn in PRIMARY, the colour the browser tests look
 * for on the canvas; the others in colours that are not mistaken for it.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useEffect, useRef } from 'preact/hooks';

export const PRIMARY = '#1f5fbf';
const OTHERS = ['#d9730d', '#2e7d32', '#a4161a', '#7b3fa0'];

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** A dashed line without points (a projection, a limit). */
  dashed?: boolean;
  /** Join the points across missing values (`null`), instead of leaving a gap. */
  spanGaps?: boolean;
}

export interface ChartProps {
  /** Names the chart for tests and styles: `data-chart`. */
  name: string;
  /** The accessible description of the whole figure. */
  label: string;
  /** Seconds since the epoch (time) or category names (bars). */
  x: { time: number[] } | { categories: string[] };
  series: ChartSeries[];
  format?: (value: number) => string;
}

const plain = (value: number) => (Math.abs(value) >= 1000 ? value.toLocaleString('en') : String(Number(value.toPrecision(4))));

export function Chart({ name, label, x, series, format = plain }: ChartProps) {
  const holder = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!holder.current) return;
    const bars = 'categories' in x;
    const xs = bars ? x.categories.map((_c, i) => i) : x.time;
    const colour = (i: number) => (i === 0 ? PRIMARY : (OTHERS[(i - 1) % OTHERS.length] ?? PRIMARY));
    const opts: uPlot.Options = {
      width: Math.max(320, Math.min(900, holder.current.clientWidth || 800)),
      height: 280,
      series: [
        {},
        ...series.map((s, i): uPlot.Series => ({
          label: s.label,
          stroke: colour(i),
          width: 2,
          spanGaps: s.spanGaps ?? false,
          ...(s.dashed ? { dash: [8, 6], points: { show: false } } : {}),
          ...(bars
            ? { fill: colour(i), paths: uPlot.paths.bars!({ size: [0.6, 64] }), points: { show: false } }
            : s.dashed ? {} : { points: { show: true, size: 6 } }),
        })),
      ],
      axes: [
        bars
          ? {
              splits: () => xs,
              // Long keys (pseudonyms) are cut: the table beside the chart has them whole.
              values: (_u, ticks) => ticks.map((t) => (x.categories[t] ?? '').slice(0, 12)),
            }
          : {},
        { values: (_u, ticks) => ticks.map(format), size: 80 },
      ],
      scales: bars ? { x: { time: false, range: [-0.5, xs.length - 0.5] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } } : { x: { time: true } },
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => s.values)] as uPlot.AlignedData, holder.current);
    return () => plot.destroy();
  }, [x, series]);
  return <div ref={holder} class="chart" data-chart={name} role="img" aria-label={label} />;
}
