import { Controller, Get, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CheckoutService } from '../checkout/checkout.service';
import { PAGE_HEADERS, pageStatus, renderCheckoutPage, type CheckoutPageView } from './checkout-page';

/** Longer than any admission token (about 400 characters); longer input is not worth verifying. */
const MAX_TOKEN_LENGTH = 4096;

/** GET /checkout?waitroom_token=<jwt>: where the waitroom's checkout_url points in the dev stack. */
@Controller('checkout')
export class CheckoutPageController {
  constructor(private readonly checkout: CheckoutService) {}

  @Get()
  async page(@Query('waitroom_token') token: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const view = await this.view(token);
    void reply.status(pageStatus(view)).headers(PAGE_HEADERS);
    return renderCheckoutPage(view);
  }

  private async view(token: unknown): Promise<CheckoutPageView> {
    if (typeof token !== 'string' || token === '') return { kind: 'missing' };
    if (token.length > MAX_TOKEN_LENGTH) return { kind: 'invalid', reason: 'malformed' };
    const verdict = await this.checkout.verifyForPage(token);
    if (!verdict.ok)
      return verdict.reason === 'jwks_unavailable'
        ? { kind: 'unavailable' }
        : { kind: 'invalid', reason: verdict.reason };
    return {
      kind: 'verified',
      claims: verdict.claims,
      status: this.checkout.statusOf(verdict.claims.sessionId),
    };
  }
}
