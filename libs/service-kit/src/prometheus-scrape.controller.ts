import { Controller, Get, Inject, Res, type Type } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** A service's Prometheus registry, as a scrape reads it. */
export interface PrometheusScrapeSource {
  scrape(): Promise<string>;
  readonly contentType: string;
}

export interface PrometheusScrapeEndpoint {
  scrape(reply: FastifyReply): Promise<string>;
}

/** GET /metrics (outside any API prefix): the exposition text of the `source` provider. */
export function prometheusScrapeController(
  source: Type<PrometheusScrapeSource>,
): Type<PrometheusScrapeEndpoint> {
  @Controller('metrics')
  class MetricsController implements PrometheusScrapeEndpoint {
    constructor(@Inject(source) private readonly metrics: PrometheusScrapeSource) {}

    @Get()
    async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
      const body = await this.metrics.scrape();
      // Every scrape is a fresh reading; a cache between Prometheus and the pod would lie.
      void reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store');
      return body;
    }
  }
  return MetricsController;
}
