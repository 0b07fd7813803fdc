import { Module } from '@nestjs/common';
import { AdmissionTokenService } from './admission-token.service';
import { JwksController } from './jwks.controller';

@Module({
  controllers: [JwksController],
  providers: [AdmissionTokenService],
  exports: [AdmissionTokenService],
})
export class TokensModule {}
