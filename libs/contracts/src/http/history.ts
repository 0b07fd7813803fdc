/**
 * GET /admin/events/:id/history: one array per series, index i of each describing the sample
 * taken at t[i] (the compact column format uPlot takes as it is).
 */
export interface HistoryBody {
  event_id: string;
  interval_seconds: number;
  window_seconds: number;
  /** Sample times, epoch seconds (with milliseconds as the fraction), ascending. */
  t: number[];
  queue_length: number[];
  active_count: number[];
  /** Rates over the time since the sample before: null when there is none. */
  joins_per_minute: (number | null)[];
  admissions_per_minute: (number | null)[];
  completions_per_minute: (number | null)[];
}

/** The series of a history body, without its event and intervals. */
export type HistoryColumns = Omit<HistoryBody, 'event_id' | 'interval_seconds' | 'window_seconds'>;
