import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsString, Matches, Max, Min } from 'class-validator';
import { InvalidConfigurationError, readEnvironment, toInt, toNumber } from '@waitroom/service-kit';
import { parseDelayRange, type DelayRange } from '../checkout/checkout-delay';

export { InvalidConfigurationError };

/** The contract's event id rule (CONTRACT.md, POST /join). */
const EVENT_ID = '[A-Za-z0-9][A-Za-z0-9._:-]{0,63}';

/** The variables as they come from the environment, checked one by one. */
class RawEnvironment {
  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 8081;
  @IsString() HOST = '0.0.0.0';
  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must look like host:port,host:port' })
  KAFKA_BROKERS = '127.0.0.1:9092';
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, {
    message: 'WAITROOM_URL must be an http:// or https:// URL without query or fragment',
  })
  WAITROOM_URL = 'http://127.0.0.1:8080';
  @Matches(new RegExp(`^\\s*${EVENT_ID}\\s*(,\\s*${EVENT_ID}\\s*)*$`), {
    message: 'SIMULATED_EVENTS must be a comma-separated list of event ids',
  })
  SIMULATED_EVENTS = 'concert-2024';
  @IsString() CHECKOUT_DELAY_MS = '2000-8000';
  @Transform(toNumber)
  @IsNumber({}, { message: 'CHECKOUT_FAILURE_RATE must be a number between 0 and 1' })
  @Min(0, { message: 'CHECKOUT_FAILURE_RATE must be a number between 0 and 1' })
  @Max(1, { message: 'CHECKOUT_FAILURE_RATE must be a number between 0 and 1' })
  CHECKOUT_FAILURE_RATE = 0.1;
  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL = 'log';
}

/** Every variable the simulator reads. */
const ENVIRONMENT_VARIABLES = Object.keys(new RawEnvironment());

/** The simulator's configuration, validated and parsed once at start-up (README, "Checkout simulator"). */
export class SimulatorConfig {
  readonly port: number;
  readonly host: string;
  readonly kafkaBrokers: string[];
  /** Base URL of the waitroom; the token keys are at `jwksUrl`. */
  readonly waitroomUrl: string;
  readonly jwksUrl: string;
  /** Only QUEUE_READY of these events are acted on. */
  readonly simulatedEvents: ReadonlySet<string>;
  readonly checkoutDelay: DelayRange;
  /** Probability (0..1) that a checkout ends CHECKOUT_FAILED. */
  readonly failureRate: number;
  readonly logLevel: string;

  constructor(raw: RawEnvironment, checkoutDelay: DelayRange) {
    this.port = raw.PORT;
    this.host = raw.HOST;
    this.kafkaBrokers = raw.KAFKA_BROKERS.split(',');
    this.waitroomUrl = raw.WAITROOM_URL.replace(/\/+$/, '');
    this.jwksUrl = `${this.waitroomUrl}/.well-known/jwks.json`;
    this.simulatedEvents = new Set(raw.SIMULATED_EVENTS.split(',').map((id) => id.trim()));
    this.checkoutDelay = checkoutDelay;
    this.failureRate = raw.CHECKOUT_FAILURE_RATE;
    this.logLevel = raw.LOG_LEVEL;
  }
}

/** Parses the environment; throws one readable line naming the first bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): SimulatorConfig {
  // An empty variable means "not set", as in a compose file's `VAR: ${VAR:-}`.
  const env = readEnvironment(RawEnvironment, raw, ENVIRONMENT_VARIABLES, { emptyMeansUnset: true });
  const delay = parseDelayRange(env.CHECKOUT_DELAY_MS);
  if (!delay) {
    throw new InvalidConfigurationError(
      'Invalid configuration: CHECKOUT_DELAY_MS: must be milliseconds, a range like 2000-8000 or one number like 500',
    );
  }
  return new SimulatorConfig(env, delay);
}
