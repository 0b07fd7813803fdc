import { ApiProperty } from '@nestjs/swagger';

// GET /.well-known/jwks.json (documentation only: AdmissionTokenService builds the set).

/** One public key (RFC 8037 OKP key, Ed25519). */
class JwkDto {
  @ApiProperty({ example: 'OKP' })
  kty!: string;

  @ApiProperty({ example: 'Ed25519' })
  crv!: string;

  @ApiProperty({
    example: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
    description: 'the public key, base64url',
  })
  x!: string;

  @ApiProperty({
    example: 'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    description: 'RFC 7638 thumbprint; the kid in the header of the tokens this key verifies',
  })
  kid!: string;

  @ApiProperty({ example: 'EdDSA' })
  alg!: string;

  @ApiProperty({ example: 'sig' })
  use!: string;
}

/** The JWK Set: the current signing key first, then keys still accepted after a rotation. */
export class JwksResponseDto {
  @ApiProperty({ type: [JwkDto] })
  keys!: JwkDto[];
}
