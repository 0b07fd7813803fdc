import { Module } from '@nestjs/common';
import { AdmissionTokenVerifier } from '@waitroom/gate';
import { SimulatorConfig } from '../config/environment';
import { JwksProbe } from './jwks-probe';

@Module({
  providers: [
    {
      provide: AdmissionTokenVerifier,
      inject: [SimulatorConfig],
      useFactory: (c: SimulatorConfig) =>
        AdmissionTokenVerifier.remote(c.jwksUrl, {
          timeoutMs: 2000,
          // A checkout takes an admission at its word to the second, as before the gate library.
          clockToleranceSeconds: 0,
          // CheckoutService spaces its own retries of a key set that cannot be fetched (JWKS_ATTEMPTS).
          failureBackoffMs: 0,
        }),
    },
    JwksProbe,
  ],
  exports: [AdmissionTokenVerifier, JwksProbe],
})
export class TokensModule {}
