import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { WaitroomModule } from '../waitroom/waitroom.module';
import { DashboardController } from './dashboard.controller';
import { WaitingPageController } from './waiting-page.controller';
import { WebAssets } from './web-assets';

/**
 * Pages for people: server-rendered HTML shells (the waiting page at /waitroom/:event_id) and the
 * browser bundles built from apps/waitroom/web by scripts/build-web.mjs, served under /assets/.
 * Their security headers (a strict CSP for pages) come from common/response-headers.ts.
 */
@Module({
  imports: [WaitroomModule],
  controllers: [WaitingPageController, DashboardController],
  providers: [WebAssets],
  exports: [WebAssets],
})
export class PagesModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly assets: WebAssets,
  ) {}

  /** Runs before the server listens, while Fastify still accepts plugins. */
  onModuleInit(): void {
    this.assets.register(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }
}
