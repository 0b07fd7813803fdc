import { Controller, Get, Header, Param, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from '../http/http-exception.filter';
import { PASS_REQUIRED_BODY } from './gate-fast-lane';
import { GateService } from './gate.service';
import { originalUrlOf } from './original-url';

/**
 * The gate a reverse proxy asks about each request to a protected site (nginx `auth_request`,
 * Traefik `forwardAuth`, Envoy `ext_authz`): 204 or 401 (503 only while Redis cannot be read).
 */
@ApiTags('gate')
@Controller('api/v1/waitroom/gate')
export class GateController {
  constructor(private readonly gate: GateService) {}

  @Get(':event_id')
  // Whether a request holds a pass depends on its cookies: no shared cache may keep the answer.
  @Header('cache-control', 'no-store')
  @ApiOperation({
    operationId: 'checkGate',
    summary: 'Does this request to a protected site hold a pass? (for reverse proxies)',
    security: [],
  })
  @ApiHeader({ name: 'X-Original-URL', required: false, description: 'the original request URL' })
  @ApiHeader({
    name: 'X-Forwarded-Proto',
    required: false,
    description:
      'with X-Forwarded-Host and X-Original-URI (or X-Forwarded-Uri), when X-Original-URL is absent',
  })
  @ApiResponse({
    status: 204,
    description:
      'a pass: the waitroom_pass cookie or a waitroom_token of the event in the original URL, whose ' +
      'checkout has not ended; for a token, Set-Cookie with the pass (HttpOnly, SameSite=Lax, Path=/, ' +
      'Secure unless plain http on localhost, expiring with the checkout window)',
  })
  @ApiResponse({
    status: 401,
    description:
      "PASS_REQUIRED: no pass (absent, forged, expired, another event's, checkout ended; an unknown event); " +
      'Location is the waiting page /waitroom/{event_id} with return_to = the original URL',
  })
  @ApiResponse({ status: 503, description: 'store unavailable; see Retry-After' })
  async check(
    @Param('event_id') eventId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ErrorBody | undefined> {
    const answer = await this.gate.check(eventId, {
      originalUrl: originalUrlOf(request.headers),
      cookieHeader: request.headers.cookie,
    });
    if (answer.pass) {
      if (answer.setCookie) void reply.header('set-cookie', answer.setCookie);
      void reply.status(204);
      return undefined;
    }
    void reply.status(401).header('location', answer.location);
    return JSON.parse(PASS_REQUIRED_BODY) as ErrorBody;
  }
}
