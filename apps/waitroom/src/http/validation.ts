import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from '@waitroom/contracts';
import { buildMessage, getMetadataStorage, ValidateBy, type ValidationOptions } from 'class-validator';
import { InvalidInputError } from '../common/domain-error';
import { ISO_INSTANT_DESCRIPTION, parseIsoInstant } from '../common/iso-instant';
import { httpUrl } from '../common/http-url';

/**
 * How route schemas (the join body) are compiled by Fastify's ajv (bootstrap.ts) and by the join
 * fast lane, which must accept exactly what the route accepts: reject, never repair (no type
 * coercion, "1" is not 1; no silent removal of unknown fields), and every reason at once.
 */
export const SCHEMA_VALIDATOR_OPTIONS = {
  coerceTypes: false,
  removeAdditional: false,
  allErrors: true,
} as const;

/**
 * Every HTTP body and parameter is validated: unknown fields, wrong types (no implicit
 * conversion: "1" is not a number) and out-of-range values are a 400 listing every reason.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors: ValidationError[]) => new InvalidInputError(flattenValidationErrors(errors)),
  });
}

/**
 * ValidationPipe's whitelist misses fields named like Object.prototype members (constructor,
 * toString, valueOf, hasOwnProperty...): class-transformer skips a key whose value on the new
 * instance is a function, and class-validator looks fields up in a plain object where
 * "constructor" always exists. So the plain body's own keys are checked against the DTO's
 * declared properties first, and reported with class-validator's wording.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const undeclared = undeclaredFields(value, metadata.metatype);
    if (undeclared.length === 0) return super.transform(value, metadata);
    const reasons = undeclared.map((field) => `property ${field} should not exist`);
    try {
      await super.transform(value, metadata);
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      reasons.push(...error.details);
    }
    throw new InvalidInputError([...new Set(reasons)]);
  }
}

/** Own keys of a plain object that the DTO class declares no validation for. */
function undeclaredFields(value: unknown, metatype: ArgumentMetadata['metatype']): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || metatype === undefined)
    return [];
  const declared = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(metatype, '', true, false)
      .map((rule) => rule.propertyName),
  );
  if (declared.size === 0) return [];
  return Object.keys(value).filter((key) => !declared.has(key));
}

/**
 * A property decorator from one rule: `validate` says whether a value passes, `reason` how the
 * message goes on after the property's name. Each rule below is one of these.
 */
function rule(
  name: string,
  validate: (value: unknown) => boolean,
  reason: (value: unknown) => string,
  options?: ValidationOptions,
): PropertyDecorator {
  return ValidateBy(
    {
      name,
      validator: {
        validate,
        defaultMessage: buildMessage((each, args) => `${each}$property ${reason(args?.value)}`, options),
      },
    },
    options,
  );
}

/** An instant in the one ISO-8601 rule of common/iso-instant.ts (offset or Z required). */
export function IsIsoInstant(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isIsoInstant',
    (value) => typeof value === 'string' && parseIsoInstant(value) !== undefined,
    () => `must be ${ISO_INSTANT_DESCRIPTION}`,
    options,
  );
}

/** C0 controls but tab, line feed and carriage return, and DEL. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Plain text an operator writes for people to read: any characters but the control ones (a
 * line break and a tab are fine). Pages show it as text, never as HTML, so markup is harmless;
 * control characters would only garble what a screen reader or a log shows.
 */
export function IsPlainText(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isPlainText',
    (value) => typeof value === 'string' && !CONTROL_CHARACTERS.test(value),
    () => 'must be plain text (no control characters but line breaks and tabs)',
    options,
  );
}

/** One reason per ajv error, naming the field as the class-validator messages do. */
export function describeSchemaErrors(
  errors: { instancePath?: string; keyword: string; message?: string; params?: Record<string, unknown> }[],
): string[] {
  return errors.map((error) => {
    const field = (error.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    if (error.keyword === 'additionalProperties')
      return `property ${String(error.params?.additionalProperty)} should not exist`;
    if (error.keyword === 'required') return `${String(error.params?.missingProperty)} is required`;
    return field ? `${field} ${error.message ?? 'is invalid'}` : `body ${error.message ?? 'is invalid'}`;
  });
}

/** Hosts for which a plain-http URL is allowed (a developer's own machine). */
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on localhost. */
function isSecureOrLocal(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
}

/** True for an absolute https URL, or an http one on localhost (shared CONTRACT.md, checkout_url). */
function isCheckoutUrl(value: unknown): boolean {
  const url = httpUrl(value);
  return url !== null && isSecureOrLocal(url);
}

export function IsCheckoutUrl(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isCheckoutUrl',
    isCheckoutUrl,
    () => 'must be an absolute https:// URL (http:// only for localhost)',
    options,
  );
}

/**
 * An origin exactly as a browser writes one (`https://shop.example.com`, `:port` when not the
 * default; no path, query, user-info or trailing slash), https, or http for localhost: what
 * gate_origins holds (CONTRACT.md, "Gate").
 */
export function isGateOrigin(value: unknown): boolean {
  if (typeof value !== 'string' || value.length > 255) return false;
  const url = httpUrl(value);
  return url !== null && url.origin === value && isSecureOrLocal(url);
}

export function IsGateOrigin(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isGateOrigin',
    isGateOrigin,
    () =>
      'must hold origins only: https://host[:port] (http:// only for localhost), without a path or a trailing slash',
    options,
  );
}

/** 32 bytes in unpadded base64url: an Ed25519 public key, or a P-256 coordinate. */
const COORDINATE = /^[A-Za-z0-9_-]{43}$/;
const JWK_MEMBERS = new Set(['kty', 'crv', 'x', 'y', 'd', 'kid', 'alg', 'use', 'key_ops', 'ext']);

/**
 * Why a value is not a public JWK an event can hold as join_identity_jwk (Ed25519 `OKP` or
 * P-256 `EC`, no private part), or null when it is one. Whether the point really is on the
 * curve is checked by importing it (EventService).
 */
export function publicIdentityJwkProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be a JWK object';
  const jwk = value as Record<string, unknown>;
  if ('d' in jwk) return 'must be a public key: it has a private part (d)';
  const unknown = Object.keys(jwk).filter((member) => !JWK_MEMBERS.has(member));
  if (unknown.length > 0) return `has members a public JWK does not: ${unknown.slice(0, 5).join(', ')}`;
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || jwk.kid.length > 200))
    return 'kid must be a string of at most 200 characters';
  if (jwk.use !== undefined && jwk.use !== 'sig') return 'use must be "sig"';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    if (typeof jwk.x !== 'string' || !COORDINATE.test(jwk.x)) return 'x must be 32 bytes of base64url';
    if (jwk.y !== undefined) return 'an OKP key has no y';
    if (jwk.alg !== undefined && jwk.alg !== 'EdDSA') return 'alg must be EdDSA for an Ed25519 key';
    return null;
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    if (typeof jwk.x !== 'string' || !COORDINATE.test(jwk.x)) return 'x must be 32 bytes of base64url';
    if (typeof jwk.y !== 'string' || !COORDINATE.test(jwk.y)) return 'y must be 32 bytes of base64url';
    if (jwk.alg !== undefined && jwk.alg !== 'ES256') return 'alg must be ES256 for a P-256 key';
    return null;
  }
  return 'must be an Ed25519 (kty OKP, crv Ed25519) or P-256 (kty EC, crv P-256) key';
}

export function IsPublicIdentityJwk(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isPublicIdentityJwk',
    (value) => publicIdentityJwkProblem(value) === null,
    (value) => publicIdentityJwkProblem(value) ?? 'is invalid',
    options,
  );
}

/**
 * An absolute https URL without credentials (logo_url): the waiting page loads it as an image and
 * its CSP allows exactly its origin for images, so plain http (mixed content) is refused.
 */
function isHttpsUrl(value: unknown): boolean {
  const url = httpUrl(value);
  return url !== null && url.protocol === 'https:' && url.hostname !== '';
}

export function IsHttpsUrl(options?: ValidationOptions): PropertyDecorator {
  return rule(
    'isHttpsUrl',
    isHttpsUrl,
    () => 'must be an absolute https:// URL without credentials',
    options,
  );
}
