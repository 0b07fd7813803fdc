import { Module } from '@nestjs/common';
import { SimulatorConfig } from '../config/environment';
import { TokenVerifier } from './token-verifier';
import { JwksProbe } from './jwks-probe';

@Module({
  providers: [
    {
      provide: TokenVerifier,
      inject: [SimulatorConfig],
      useFactory: (c: SimulatorConfig) => TokenVerifier.remote(c.jwksUrl),
    },
    JwksProbe,
  ],
  exports: [TokenVerifier, JwksProbe],
})
export class TokensModule {}
