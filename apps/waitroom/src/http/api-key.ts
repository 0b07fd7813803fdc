import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Environment } from '../config/environment';
import { TransportError } from './transport-errors';

/**
 * Compares an x-api-key header with ADMIN_API_KEY in constant time (both hashed first, so even
 * the length does not leak). No key configured means no caller is trusted.
 */
export function isTrustedCaller(request: FastifyRequest, env: Environment): boolean {
  const expected = env.ADMIN_API_KEY;
  const given = request.headers['x-api-key'];
  if (!expected || typeof given !== 'string') return false;
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

@Injectable()
export class AdminApiKeyGuard implements CanActivate {
  constructor(private readonly env: Environment) {}

  canActivate(context: ExecutionContext): boolean {
    if (!isTrustedCaller(context.switchToHttp().getRequest<FastifyRequest>(), this.env)) {
      throw new TransportError('UNAUTHORIZED', 'a valid x-api-key header is required');
    }
    return true;
  }
}
