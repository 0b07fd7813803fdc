import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsString, Matches, Max, MaxLength, Min, MinLength } from 'class-validator';
// A relative path, not @waitroom/service-kit: the integration tests' globalSetup loads this file
// (through test/support/test-env.ts) with plain require, where the path aliases do not resolve.
import {
  InvalidConfigurationError,
  OptionalVariable,
  readEnvironment,
  toBool,
  toInt,
} from '../../../../libs/service-kit/src/environment';

import { AdminKeys, AdminKeysError } from '../http/admin-keys';

export { InvalidConfigurationError };

/** host:port,host:port (REDIS_CLUSTER_NODES, REDIS_SENTINELS). */
const HOST_PORT_LIST = /^[^,:\s]+:\d+(,[^,:\s]+:\d+)*$/;

/**
 * The service's configuration, read from the environment once at start-up.
 * Every variable is documented in the README's configuration table.
 */
export class Environment {
  @IsIn(['development', 'production', 'test']) NODE_ENV: 'development' | 'production' | 'test' =
    'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535) PORT = 8080;
  /** Address the HTTP server binds to. */
  @IsString() HOST = '0.0.0.0';

  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must start with redis:// or rediss://' }) REDIS_URL =
    'redis://127.0.0.1:6379';
  /** host:port,host:port — when set, Waitroom talks to a Redis Cluster and ignores REDIS_URL's host. */
  @OptionalVariable()
  @Matches(HOST_PORT_LIST, { message: 'REDIS_CLUSTER_NODES must look like host:port,host:port' })
  REDIS_CLUSTER_NODES?: string;
  /**
   * host:port,host:port of Redis Sentinels: when set, Waitroom asks them for the master named
   * REDIS_SENTINEL_MASTER, and again after a failover, instead of connecting to REDIS_URL's host
   * (whose credentials, TLS and database number still apply to the master).
   */
  @OptionalVariable()
  @Matches(HOST_PORT_LIST, { message: 'REDIS_SENTINELS must look like host:port,host:port' })
  REDIS_SENTINELS?: string;
  /** The master's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  @OptionalVariable()
  @Matches(/^[^\s]{1,128}$/, {
    message: 'REDIS_SENTINEL_MASTER must be a name of 1-128 characters without spaces',
  })
  REDIS_SENTINEL_MASTER?: string;
  /** Prefix of every key, so several deployments (or test runs) can share one Redis. */
  @Matches(/^[A-Za-z0-9_.:-]{1,32}$/, {
    message: 'REDIS_KEY_PREFIX must be 1-32 characters of A-Z a-z 0-9 _ . : -',
  })
  REDIS_KEY_PREFIX = 'wr:';
  /** A command that takes longer fails (503) instead of hanging a request. */
  @Transform(toInt) @IsInt() @Min(50) @Max(60000) REDIS_COMMAND_TIMEOUT_MS = 2000;
  /**
   * Commands issued in one event-loop turn go out in one write (ioredis auto-pipelining). Off by
   * default: since joins and polls are answered before the framework (decisions 14, 15), a join's
   * command is alone in its turn, and the pipelining's own work cost more than the write it saved
   * (docs/decisions/0008-join-path-cpu.md, "Revisited").
   */
  @Transform(toBool) @IsBoolean() REDIS_AUTO_PIPELINING = false;
  /**
   * The commands issued in one phase of the event loop (the joins of the requests read in one
   * poll) leave in one write at its end, instead of one system call each: less CPU for the
   * service and for Redis (docs/decisions/0018-coalesced-redis-writes.md). One connection only:
   * standalone Redis or the master behind Sentinels, not a Cluster.
   */
  @Transform(toBool) @IsBoolean() REDIS_WRITE_COALESCING = true;
  /**
   * A state change (join, leave, admission step, checkout result, operator change) counts as done
   * only once this many replicas hold it (Redis WAIT), so a failover loses no acknowledged place;
   * 0 answers as soon as the master has it (docs/decisions/0020-replicated-acknowledgements.md).
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(16) REDIS_WAIT_REPLICAS = 0;
  /** How long a state change waits for REDIS_WAIT_REPLICAS before it fails with 503 STORE_UNAVAILABLE. */
  @Transform(toInt) @IsInt() @Min(10) @Max(60000) REDIS_WAIT_TIMEOUT_MS = 500;

  @Matches(/^[^,\s]+:\d+(,[^,\s]+:\d+)*$/, { message: 'KAFKA_BROKERS must look like host:port,host:port' })
  KAFKA_BROKERS = '127.0.0.1:9092';
  @IsString() @MinLength(1) KAFKA_CLIENT_ID = 'waitroom';
  @Transform(toBool) @IsBoolean() KAFKA_SSL = false;
  @OptionalVariable()
  @IsIn(['plain', 'scram-sha-256', 'scram-sha-512'])
  KAFKA_SASL_MECHANISM?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  @OptionalVariable() @IsString() KAFKA_SASL_USERNAME?: string;
  @OptionalVariable() @IsString() KAFKA_SASL_PASSWORD?: string;

  /** Key for `x-api-key` on admin and trusted calls. Unset: admin calls are refused (401). */
  @OptionalVariable() @IsString() @MinLength(16) @MaxLength(256) ADMIN_API_KEY?: string;
  /** More operator keys, `name:key,name:key` (http/admin-keys.ts; checked in validateEnvironment). */
  @OptionalVariable() @IsString() @MaxLength(16384) ADMIN_API_KEYS?: string;
  /** Read-only keys, `name:key,...`: admin GETs and the dashboard's numbers; changes are 403 FORBIDDEN. */
  @OptionalVariable() @IsString() @MaxLength(16384) ADMIN_VIEWER_KEYS?: string;

  /** Joins per client address (per event) per minute; 0 turns the limit off. */
  @Transform(toInt) @IsInt() @Min(0) JOIN_RATE_LIMIT_PER_MINUTE = 120;
  /** Trust X-Forwarded-For from this many proxies (0 = use the socket address). */
  @Transform(toInt) @IsInt() @Min(0) @Max(10) TRUST_PROXY_HOPS = 0;

  /** How long an ended session stays readable before Redis purges it. */
  @Transform(toInt) @IsInt() @Min(60) SESSION_RETENTION_SECONDS = 3600;

  /**
   * How often each instance reads one progress snapshot per event it streams sessions of, and
   * updates every open stream from it (the live positions of the waiting page).
   */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) STREAM_TICK_MS = 1000;

  /**
   * How often each instance refreshes its progress snapshot of an event whose sessions it answers
   * status polls for: the polls of queued sessions are answered from it (session-polls.service.ts),
   * so it bounds how stale a poll's position can be.
   */
  @Transform(toInt) @IsInt() @Min(50) @Max(5000) POLL_SNAPSHOT_MS = 250;

  /** How often each instance runs the admission step for every event. */
  @Transform(toInt) @IsInt() @Min(20) @Max(60000) ADMISSION_TICK_MS = 100;
  /** Most sessions one admission step moves per event (bounds the time one script holds Redis). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10000) ADMISSION_BATCH_MAX = 1000;

  /**
   * How often one instance (a lease) records a sample of every event that has work into the
   * event's history, for the operator dashboard's charts. One Redis call per such event per interval.
   */
  @Transform(toInt) @IsInt() @Min(100) @Max(60000) HISTORY_SAMPLE_INTERVAL_MS = 5000;

  /** The outbox relay passes over the outboxes once per interval (a backlog drains without waiting). */
  @Transform(toInt) @IsInt() @Min(5) @Max(60000) OUTBOX_RELAY_INTERVAL_MS = 20;
  /** Most events one relay batch publishes. */
  @Transform(toInt) @IsInt() @Min(1) @Max(10000) OUTBOX_BATCH_SIZE = 500;
  /**
   * Read and map the outbox on a worker thread while the main thread sends to Kafka
   * (docs/decisions/0016-outbox-reader-thread.md). Off: everything on the main thread, the
   * better choice for an instance limited to one core.
   */
  @Transform(toBool) @IsBoolean() OUTBOX_READER_THREAD = true;
  /**
   * Worker threads that verify joins' identity tokens (join_identity_jwk), so the signature check
   * (about 40% of a join's CPU) runs beside the joins instead of on their thread. 0: on the
   * main thread, the better choice for an instance limited to one core.
   */
  @Transform(toInt) @IsInt() @Min(0) @Max(16) IDENTITY_VERIFY_THREADS = 1;
  /**
   * How the Lua scripts write outbox entries (docs/decisions/0017-packed-outbox-entries.md):
   * `packed`, one field per entry, or `fields`, the field-value pairs that versions before the
   * packed format read. Every version since reads both. Upgrading a running deployment from an
   * earlier version: roll out with `fields`, then switch to `packed` once no earlier instance runs.
   */
  @IsIn(['packed', 'fields']) OUTBOX_ENTRY_FORMAT: 'packed' | 'fields' = 'packed';
  /** Per event: when this many events wait for Kafka, new joins get 503 rather than grow Redis without bound. */
  @Transform(toInt) @IsInt() @Min(100) OUTBOX_MAX_BACKLOG = 1_000_000;

  /** PEM (PKCS#8) Ed25519 private key that signs admission tokens. Unset outside production: one is generated. */
  @OptionalVariable() @IsString() ADMISSION_TOKEN_PRIVATE_KEY?: string;
  /** PEM public keys of retired signing keys, kept in the JWKS until their tokens have expired. */
  @OptionalVariable() @IsString() ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS?: string;
  /**
   * HMAC key that signs and verifies the bot check's proof-of-work challenges (altcha-lib). Every
   * instance must have the same one, or a challenge from one is refused by another. Unset outside
   * production: one is generated per process.
   */
  @OptionalVariable() @IsString() @MinLength(32) @MaxLength(1024) ALTCHA_HMAC_KEY?: string;
  /** `iss` claim of admission tokens. */
  @IsString() @MinLength(1) ADMISSION_TOKEN_ISSUER = 'waitroom';

  /** Bound on a graceful shutdown; past it the process exits anyway. */
  @Transform(toInt) @IsInt() @Min(1000) SHUTDOWN_TIMEOUT_MS = 10000;
  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']) LOG_LEVEL: string = 'log';
  @IsIn(['json', 'text']) LOG_FORMAT: 'json' | 'text' = 'json';
}

/** Variables without a default (absent from `new Environment()`'s own keys). */
const OPTIONAL_VARIABLES = [
  'REDIS_CLUSTER_NODES',
  'REDIS_SENTINELS',
  'REDIS_SENTINEL_MASTER',
  'KAFKA_SASL_MECHANISM',
  'KAFKA_SASL_USERNAME',
  'KAFKA_SASL_PASSWORD',
  'ADMIN_API_KEY',
  'ADMIN_API_KEYS',
  'ADMIN_VIEWER_KEYS',
  'ADMISSION_TOKEN_PRIVATE_KEY',
  'ADMISSION_TOKEN_PREVIOUS_PUBLIC_KEYS',
  'ALTCHA_HMAC_KEY',
] as const;

/** Every variable the service reads (what .env.example and the deployment files may set). */
export function environmentVariableNames(): string[] {
  return [...Object.keys(new Environment()), ...OPTIONAL_VARIABLES];
}

/** Parses the environment; throws one readable line naming the first bad variable. */
export function validateEnvironment(raw: Record<string, unknown>): Environment {
  const env = readEnvironment(Environment, raw, environmentVariableNames());
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    throw new InvalidConfigurationError(
      'Invalid configuration: REDIS_SENTINELS and REDIS_CLUSTER_NODES exclude each other (Sentinel or Cluster, not both)',
    );
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER) {
    throw new InvalidConfigurationError(
      'Invalid configuration: REDIS_SENTINELS needs REDIS_SENTINEL_MASTER (the master name the Sentinels monitor)',
    );
  }
  if (env.REDIS_SENTINEL_MASTER && !env.REDIS_SENTINELS) {
    throw new InvalidConfigurationError(
      'Invalid configuration: REDIS_SENTINEL_MASTER is set but REDIS_SENTINELS is not (the Sentinels to ask for it)',
    );
  }
  if (env.KAFKA_SASL_MECHANISM && (!env.KAFKA_SASL_USERNAME || !env.KAFKA_SASL_PASSWORD)) {
    throw new InvalidConfigurationError(
      'Invalid configuration: KAFKA_SASL_MECHANISM needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD',
    );
  }
  try {
    new AdminKeys(env);
  } catch (error) {
    if (!(error instanceof AdminKeysError)) throw error;
    throw new InvalidConfigurationError(`Invalid configuration: ${error.message}`);
  }
  if (env.NODE_ENV === 'production' && !env.ADMISSION_TOKEN_PRIVATE_KEY) {
    throw new InvalidConfigurationError(
      'Invalid configuration: ADMISSION_TOKEN_PRIVATE_KEY is required in production (tokens must verify on every instance)',
    );
  }
  if (env.NODE_ENV === 'production' && !env.ALTCHA_HMAC_KEY) {
    throw new InvalidConfigurationError(
      'Invalid configuration: ALTCHA_HMAC_KEY is required in production (bot-check challenges must verify on every instance)',
    );
  }
  return env;
}
