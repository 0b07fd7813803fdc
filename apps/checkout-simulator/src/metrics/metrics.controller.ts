import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SimulatorMetrics } from './simulator-metrics';

/** Prometheus scrape endpoint. */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: SimulatorMetrics) {}

  @Get()
  async scrape(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const body = await this.metrics.scrape();
    void reply.header('content-type', this.metrics.contentType).header('cache-control', 'no-store');
    return body;
  }
}
