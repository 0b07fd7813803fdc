import { Module } from '@nestjs/common';
import { LiveModule } from '../live/live.module';
import { TokensModule } from '../tokens/tokens.module';
import { GateController } from './gate.controller';
import { GateFastLane } from './gate-fast-lane';
import { GateService } from './gate.service';

/** The gate reverse proxies ask about requests to a protected site (docs/decisions/0021-gate.md). */
@Module({
  imports: [LiveModule, TokensModule],
  controllers: [GateController],
  providers: [GateService, GateFastLane],
  exports: [GateFastLane],
})
export class GateModule {}
