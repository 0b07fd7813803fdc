import { applyDecorators } from '@nestjs/common';
import { plainToInstance, Transform, type ClassConstructor } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';

// Reading a service's configuration from the environment: a class whose properties are the
// variables (class-validator rules, defaults as initial values), read and checked once at start-up.

/** A bad variable: the message is one line, `Invalid configuration: <VARIABLE>: <reason>`. */
export class InvalidConfigurationError extends Error {}

// Transforms (class-transformer) from the environment's strings; anything else is left for the
// validator to refuse.

/** A whole number, e.g. `8080` or `-1`. */
export const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
/** A non-negative decimal number, e.g. `0.1`. */
export const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
/** `true`/`1` or `false`/`0`. */
export const toBool = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
export const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** A variable without a default: unset or empty, it is absent and its other rules are skipped. */
export const OptionalVariable = () => applyDecorators(Transform(emptyToUndefined), IsOptional());

export interface ReadEnvironmentOptions {
  /** An empty variable counts as not set (a compose file's `VAR: ${VAR:-}`); otherwise "" is checked like any value. */
  emptyMeansUnset?: boolean;
}

/**
 * The variables `names` of `raw` as an instance of `schema` (its initial values stand for the
 * variables not set), checked; throws an InvalidConfigurationError naming the first bad variable.
 */
export function readEnvironment<T extends object>(
  schema: ClassConstructor<T>,
  raw: Record<string, unknown>,
  names: readonly string[],
  options: ReadEnvironmentOptions = {},
): T {
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    const value = raw[name];
    if (value !== undefined && !(options.emptyMeansUnset && value === '')) picked[name] = value;
  }
  const env = plainToInstance(schema, picked);
  const errors = validateSync(env, { skipMissingProperties: false });
  if (errors.length > 0) {
    const first = errors[0];
    const reason = Object.values(first.constraints ?? {})[0] ?? 'is invalid';
    throw new InvalidConfigurationError(`Invalid configuration: ${first.property}: ${reason}`);
  }
  return env;
}

/**
 * What `read` returns, or the end of the process: an InvalidConfigurationError is written to
 * stderr as its one line, no stack (the operator only needs the variable and the reason), and
 * the process exits with 1. Any other error is thrown on.
 */
export function configurationOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof InvalidConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
