import uPlot from 'uplot';
import { byId } from '../shared/dom';
import type { History } from './api';

type Column = (number | null)[];

interface ChartSpec {
  /** The figure's id suffix (chart-<key>), rendered by the server. */
  key: string;
  series: {
    label: string;
    column: keyof Omit<History, 'event_id' | 'interval_seconds' | 'window_seconds' | 't'>;
    stroke: string;
    dash?: number[];
  }[];
  /** Words for the text alternative, e.g. "people waiting". */
  unit: string;
}

// Colours with at least 4.5:1 contrast on white; the second series of a chart is also dashed.
const CHARTS: ChartSpec[] = [
  {
    key: 'queue',
    unit: 'people waiting',
    series: [{ label: 'Queued', column: 'queue_length', stroke: '#1a4fb0' }],
  },
  {
    key: 'active',
    unit: 'people in checkout',
    series: [{ label: 'Active', column: 'active_count', stroke: '#17643a' }],
  },
  {
    key: 'joins',
    unit: 'joins per minute',
    series: [{ label: 'Joins / min', column: 'joins_per_minute', stroke: '#6a2c91' }],
  },
  {
    key: 'flow',
    unit: 'per minute',
    series: [
      { label: 'Admissions / min', column: 'admissions_per_minute', stroke: '#1a4fb0' },
      { label: 'Completions / min', column: 'completions_per_minute', stroke: '#a4161a', dash: [6, 4] },
    ],
  },
];

const HEIGHT = 170;

/**
 * Tick steps of the time axis, in seconds: uPlot's own steps without those under a second. While
 * a chart spans only a few seconds uPlot would pick steps like 250 ms and label ":24.250"; an
 * operator reads these charts to the second, however often the samples come.
 */
const TIME_STEPS = [
  1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400,
];

/**
 * The event page's charts: each uPlot chart is created once, empty, and fed with setData as new
 * samples arrive (the pattern of uPlot's stream-data demo): the history endpoint's `since` returns
 * only the new points, which are appended to the columns kept here, and points older than the
 * window fall off the front. Each figure exposes its number of points as data-points, and a text
 * alternative with the latest values.
 */
export class HistoryCharts {
  private readonly t: number[] = [];
  private readonly columns = new Map<string, Column>();
  private readonly charts: { spec: ChartSpec; plot: uPlot; figure: HTMLElement; summary: HTMLElement }[] = [];
  private readonly time = new Intl.DateTimeFormat('en', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  private readonly numbers = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

  constructor() {
    for (const spec of CHARTS) {
      for (const series of spec.series) this.columns.set(series.column, []);
      const figure = byId(`chart-${spec.key}`);
      const target = figure.querySelector<HTMLElement>('.chart-plot') as HTMLElement;
      const plot = new uPlot(
        {
          width: widthOf(target),
          height: HEIGHT,
          scales: { x: { time: true } },
          series: [
            { label: 'Time' },
            ...spec.series.map((series) => ({
              label: series.label,
              stroke: series.stroke,
              width: 2,
              dash: series.dash,
              // A rate is null where it cannot be measured: show a gap, not a made-up line.
              spanGaps: false,
            })),
          ],
          axes: [{ incrs: TIME_STEPS }, { size: 56 }],
          legend: { live: true },
          cursor: { drag: { x: false, y: false } },
        },
        this.aligned(spec),
        target,
      );
      this.charts.push({ spec, plot, figure, summary: byId(`chart-${spec.key}-summary`) });
    }
    let pending: number | undefined;
    window.addEventListener('resize', () => {
      clearTimeout(pending);
      pending = window.setTimeout(() => this.resize(), 150);
    });
  }

  /** The time of the newest point held, for the next request's `since`. */
  get last(): number | null {
    return this.t.length > 0 ? this.t[this.t.length - 1] : null;
  }

  /** Appends new samples (a history response) and redraws each chart with its new data. */
  append(history: History): void {
    const last = this.last;
    for (let i = 0; i < history.t.length; i++) {
      if (last !== null && history.t[i] <= last) continue; // already held
      this.t.push(history.t[i]);
      for (const [column, values] of this.columns)
        values.push((history[column as keyof History] as Column)[i]);
    }
    const oldest = Date.now() / 1000 - history.window_seconds;
    let drop = 0;
    while (drop < this.t.length && this.t[drop] < oldest) drop++;
    if (drop > 0) {
      this.t.splice(0, drop);
      for (const values of this.columns.values()) values.splice(0, drop);
    }
    for (const chart of this.charts) {
      chart.plot.setData(this.aligned(chart.spec));
      chart.figure.dataset.points = String(this.t.length);
      chart.summary.textContent = this.describe(chart.spec);
    }
  }

  private aligned(spec: ChartSpec): uPlot.AlignedData {
    return [this.t, ...spec.series.map((series) => this.columns.get(series.column) as Column)];
  }

  private describe(spec: ChartSpec): string {
    if (this.t.length === 0) return 'No samples yet.';
    const at = this.time.format(new Date(this.t[this.t.length - 1] * 1000));
    const format = (value: number | null | undefined) =>
      value === null || value === undefined ? 'not measured yet' : this.numbers.format(value);
    const latest: string[] = [];
    const highest: string[] = [];
    for (const series of spec.series) {
      const values = this.columns.get(series.column) as Column;
      latest.push(`${series.label}: ${format(values[values.length - 1])}`);
      const measured = values.filter((value): value is number => value !== null);
      highest.push(`${series.label}: ${format(measured.length > 0 ? Math.max(...measured) : null)}`);
    }
    return `${this.t.length} samples (${spec.unit}). Latest, at ${at}: ${latest.join(', ')}. Highest: ${highest.join(', ')}.`;
  }

  private resize(): void {
    for (const chart of this.charts)
      chart.plot.setSize({ width: widthOf(chart.plot.root.parentElement as HTMLElement), height: HEIGHT });
  }
}

function widthOf(element: HTMLElement): number {
  return Math.max(240, Math.floor(element.clientWidth || 320));
}
