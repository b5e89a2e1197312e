import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  kind: 'bars' | 'line';
}

export interface TimeChartProps {
  /** Bucket starts, epoch milliseconds. */
  x: number[];
  series: ChartSeries[];
  formatValue: (v: number) => string;
  height?: number;
  /** Used by tests and screen readers. */
  label: string;
  bucket: 'hour' | 'day';
}

const bars = uPlot.paths.bars?.({ size: [0.7, 48], gap: 1 });

/** A uPlot time chart that follows its container's width. */
export function TimeChart({ x, series, formatValue, height = 220, label, bucket }: TimeChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const width = Math.max(240, el.clientWidth);
    const opts: uPlot.Options = {
      width,
      height,
      legend: { show: series.length > 1, live: false },
      cursor: { drag: { x: false, y: false }, points: { size: 6 } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        {
          stroke: '#64748b',
          grid: { stroke: '#eef2f7' },
          ticks: { stroke: '#e2e8f0' },
          values: bucket === 'day' ? '{M}/{D}' : undefined,
        },
        {
          stroke: '#64748b',
          grid: { stroke: '#eef2f7' },
          ticks: { show: false },
          // Wide enough for the longest label ("$0.000024"): a fixed width clips small amounts.
          size: (_u, values) => Math.max(40, ...(values ?? []).map((v) => String(v).length * 7 + 16)),
          values: (_u, ticks) => ticks.map((t) => formatValue(t)),
        },
      ],
      series: [
        { value: (_u, v) => (v == null ? '' : new Date(v * 1000).toLocaleString()) },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.kind === 'line' ? 2 : 0,
          fill: s.kind === 'bars' ? `${s.color}cc` : `${s.color}1a`,
          paths: s.kind === 'bars' ? bars : undefined,
          points: { show: s.kind === 'line' && x.length <= 48 },
          value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatValue(v)),
        })),
      ],
    };
    const data: uPlot.AlignedData = [x.map((t) => t / 1000), ...series.map((s) => s.values)];
    const plot = new uPlot(opts, data, el);
    const observer = new ResizeObserver(() => {
      const w = Math.max(240, el.clientWidth);
      if (w !== plot.width) plot.setSize({ width: w, height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [x, series, height, bucket]);
  return <div class="chart" ref={host} role="img" aria-label={label} data-points={x.length} />;
}
