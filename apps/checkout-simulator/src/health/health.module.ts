import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CheckoutModule } from '../checkout/checkout.module';
import { TokensModule } from '../tokens/tokens.module';
import { HealthController } from './health.controller';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), CheckoutModule, TokensModule],
  controllers: [HealthController],
})
export class HealthModule {}
