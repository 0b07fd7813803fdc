import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../common/domain-error';
import { TransportError } from './transport-errors';

/** Request bodies are tiny (a join is < 300 bytes); anything larger is refused with 413. */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Request bodies are JSON and nothing else. Fastify also reads text/plain and Nest adds
 * application/x-www-form-urlencoded: a plain cross-site HTML form could then join for a
 * visitor, since a form cannot send application/json. Every other media type gets 415
 * UNSUPPORTED_MEDIA_TYPE from Fastify. Call before Nest registers its parsers (or create the
 * app with `bodyParser: false`, as bootstrap.ts does).
 */
export function acceptOnlyJsonBodies(fastify: FastifyInstance, bodyLimit: number): void {
  // Fastify's parser with secure-json-parse: __proto__ and constructor.prototype are refused.
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      void parseJson(request, text, (error, value) => {
        const poisonedField = error ? prototypeField(text) : undefined;
        if (poisonedField !== undefined) {
          done(new InvalidInputError([`property ${poisonedField} should not exist`]), undefined);
          return;
        }
        done(error, value);
      });
    },
  );
  fastify.addHook('onRequest', (request, _reply, done) => {
    done(hasEncodedBody(request) ? unsupportedEncoding() : undefined);
  });
}

/**
 * A body that is compressed (or otherwise encoded) would be read as if it were plain JSON;
 * we never need compressed requests (bodies are under 16 KiB), so they are refused.
 */
function hasEncodedBody(request: FastifyRequest): boolean {
  const encoding = request.headers['content-encoding'];
  if (encoding === undefined) return false;
  const normalized = encoding.trim().toLowerCase();
  if (normalized === '' || normalized === 'identity') return false;
  const contentLength = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined ||
    (contentLength !== undefined && contentLength !== '0')
  );
}

function unsupportedEncoding(): TransportError {
  return new TransportError(
    'UNSUPPORTED_MEDIA_TYPE',
    'request bodies must not be encoded: send plain JSON without Content-Encoding',
  );
}

/**
 * When secure-json-parse refused valid JSON, the field it refused (__proto__, or constructor
 * holding a prototype), so the 400 names it like any other unknown field. Undefined when the
 * text is simply not JSON. Walks without recursion: a 16 KiB body can nest 8,000 levels deep.
 */
export function prototypeField(text: string): string | undefined {
  let parsed: unknown;
  try {
    // JSON.parse makes "__proto__" an ordinary own property: nothing is polluted by reading it here.
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const pending: { value: unknown; path: string }[] = [{ value: parsed, path: '' }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    for (const [key, child] of Object.entries(next.value) as [string, unknown][]) {
      const path = next.path ? `${next.path}.${key}` : key;
      if (key === '__proto__') return path;
      if (
        key === 'constructor' &&
        typeof child === 'object' &&
        child !== null &&
        Object.hasOwn(child, 'prototype')
      )
        return path;
      pending.push({ value: child, path });
    }
  }
  return undefined;
}
