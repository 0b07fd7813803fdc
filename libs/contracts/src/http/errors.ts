/** Every refusal's body: `{status, code, message, errors?}`, with the HTTP status as a number. */
export interface ErrorBody {
  status: number;
  /** A stable code, e.g. `EVENT_NOT_FOUND` (README "HTTP API" lists them). */
  code: string;
  message: string;
  /** Every reason, for a body or parameter that failed validation. */
  errors?: string[];
}
