/** What the dashboard's shell hands its script (web/dashboard), as JSON in the page. */
export interface DashboardPageConfig {
  /** `list`: /admin/dashboard; `event`: /admin/dashboard/:event_id. */
  view: 'list' | 'event';
  event_id: string | null;
  /** Prefix of the JSON API, e.g. /api/v1/waitroom. */
  api_base: string;
  /** The dashboard's own root, e.g. /admin/dashboard. */
  dashboard_base: string;
}
