import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Environment } from '../config/environment';
import { AdminKeys, type AdminActor } from './admin-keys';
import { TransportError } from './transport-errors';

/** Parsed once per environment (validateEnvironment has checked them). */
const keysOfEnvironment = new WeakMap<Environment, AdminKeys>();
function adminKeys(env: Environment): AdminKeys {
  let keys = keysOfEnvironment.get(env);
  if (!keys) {
    keys = new AdminKeys(env);
    keysOfEnvironment.set(env, keys);
  }
  return keys;
}

/** The admin actor of a request that passed AdminApiKeyGuard. */
const actorOfRequest = new WeakMap<object, AdminActor>();

/**
 * Who the request's x-api-key belongs to (http/admin-keys.ts: constant-time comparison with
 * every configured key), or null. No key configured means nobody.
 */
export function adminActor(request: FastifyRequest, env: Environment): AdminActor | null {
  return adminKeys(env).identify(request.headers['x-api-key']);
}

/** A trusted caller (priority joins, exempt from the bot check and rate limit): an operator key. */
export function isTrustedCaller(request: FastifyRequest, env: Environment): boolean {
  return adminActor(request, env)?.role === 'operator';
}

/** The actor AdminApiKeyGuard identified for this request (it runs before every admin handler). */
export function actorOf(request: FastifyRequest): AdminActor {
  const actor = actorOfRequest.get(request);
  if (!actor) throw new Error('actorOf: the request did not pass AdminApiKeyGuard');
  return actor;
}

/** Methods that change nothing: what a viewer key may call. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Every admin route: 401 without a known key; 403 FORBIDDEN for a viewer key on a change. The
 * answer names the key's role in `x-admin-role` (the dashboard disables its controls for a
 * viewer); the actor's name is kept for the audit log, never the key.
 */
@Injectable()
export class AdminApiKeyGuard implements CanActivate {
  constructor(private readonly env: Environment) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const actor = adminActor(request, this.env);
    if (!actor) throw new TransportError('UNAUTHORIZED', 'a valid x-api-key header is required');
    void http.getResponse<FastifyReply>().header('x-admin-role', actor.role);
    if (actor.role === 'viewer' && !READ_METHODS.has(request.method))
      throw new TransportError(
        'FORBIDDEN',
        `the key "${actor.name}" is read-only: changes need an operator key`,
      );
    actorOfRequest.set(request, actor);
    return true;
  }
}
