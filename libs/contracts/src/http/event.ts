export type EventState = 'open' | 'paused' | 'closed';

/** GET /events/:id/notice: what an open waiting page shows live before (or without) joining. */
export interface EventNoticeBody {
  event_id: string;
  state: EventState;
  /** The operator's current message (plain text), or null. */
  message: string | null;
}

/** GET /events/:id/stats, and `stats` of the admin views. */
export interface EventStatsBody {
  event_id: string;
  state: EventState;
  capacity: number;
  queue_length: number;
  active_count: number;
  admitted_total: number;
  completed_total: number;
  failed_total: number;
  expired_total: number;
  left_total: number;
  admission_rate_per_minute: number | null;
  joined_total: number;
  abandoned_total: number;
  observed_admissions_per_minute: number | null;
}

/** An event's stored settings, as PUT /admin/events/:id answers them. */
export interface EventConfigBody {
  event_id: string;
  capacity: number;
  admission_rate_per_minute: number | null;
  checkout_timeout_seconds: number;
  state: EventState;
  opens_at: string | null;
  shuffle_at_open: boolean;
  idle_timeout_seconds: number | null;
  checkout_url: string | null;
  bot_check: 'off' | 'proof_of_work';
  bot_check_max_number: number;
  /** Origins the waiting page may send an admitted person back to (return_to), besides checkout_url's. */
  gate_origins: string[];
  /** Joins are admitted at once while nobody is queued and capacity and rate allow. */
  passthrough_when_free: boolean;
  /** How many hash slots the event's live state is split over (1..64, fixed once anybody joined). */
  shards: number;
  /** The public JWK that signs the event's identity tokens, or null: joins need none. */
  join_identity_jwk: Record<string, string> | null;
  /** The operator's message to everyone waiting (plain text), or null. */
  message: string | null;
  /** When the event closes by itself (dropped once it has); null: no scheduled close. */
  closes_at: string | null;
  /** The waiting page's heading (plain text), or null: the default one. */
  display_name: string | null;
  /** The waiting page's accent colour `#rrggbb` (contrast-adjusted on the page), or null. */
  brand_color: string | null;
  /** An https image shown on the waiting page, alt text the display name, or null. */
  logo_url: string | null;
  created_at: string | null;
  updated_at: string | null;
}

/**
 * How far off the waits told at join were, for the people admitted so far who were told one:
 * how many were within 10, 25, 50 and 100% of the wait they had (cumulative), and in all.
 */
export interface EstimateAccuracyBody {
  admitted_with_estimate: number;
  within_10_percent: number;
  within_25_percent: number;
  within_50_percent: number;
  within_100_percent: number;
}

/** GET /admin/events/:id: the settings and the figures. */
export interface EventDetailsBody extends EventConfigBody {
  stats: EventStatsBody;
  estimate_accuracy: EstimateAccuracyBody;
}

/** GET /admin/events. */
export interface EventListBody {
  events: EventDetailsBody[];
}
