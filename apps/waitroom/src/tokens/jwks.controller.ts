import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdmissionTokenService } from './admission-token.service';
import { JwksResponseDto } from './dto/jwks.dto';

@ApiTags('tokens')
@Controller('.well-known')
export class JwksController {
  constructor(private readonly tokens: AdmissionTokenService) {}

  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ operationId: 'getJwks', summary: 'Public keys that verify admission tokens', security: [] })
  @ApiOkResponse({
    type: JwksResponseDto,
    description: 'Public keys that verify admission_token (JWK Set, EdDSA/Ed25519)',
  })
  jwks() {
    return this.tokens.publicKeySet();
  }
}
