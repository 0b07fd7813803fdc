import { isGateOrigin, publicIdentityJwkProblem } from './validation';

describe('gate_origins and join_identity_jwk validation', () => {
  it.each([
    ['https://shop.example.com', true],
    ['https://shop.example.com:8443', true],
    ['http://localhost:3000', true],
    ['http://127.0.0.1:8088', true],
    ['http://[::1]:8088', true],
    ['https://shop.example.com/', false],
    ['https://shop.example.com:443', false],
    ['https://SHOP.example.com', false],
    ['https://shop.example.com/path', false],
    ['http://shop.example.com', false],
    ['https://user@shop.example.com', false],
    ['javascript:alert(1)', false],
    ['//shop.example.com', false],
    ['shop.example.com', false],
    ['', false],
    [`https://${'a'.repeat(300)}.com`, false],
    [42, false],
  ])('isGateOrigin(%j) is %s', (value, expected) => {
    expect(isGateOrigin(value)).toBe(expected);
  });

  const x = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo';
  it('takes public Ed25519 and P-256 keys', () => {
    expect(publicIdentityJwkProblem({ kty: 'OKP', crv: 'Ed25519', x })).toBeNull();
    expect(
      publicIdentityJwkProblem({ kty: 'OKP', crv: 'Ed25519', x, kid: 'k', alg: 'EdDSA', use: 'sig' }),
    ).toBeNull();
    expect(publicIdentityJwkProblem({ kty: 'EC', crv: 'P-256', x, y: x, alg: 'ES256' })).toBeNull();
  });

  it.each([
    [{ kty: 'OKP', crv: 'Ed25519', x, d: x }, /private part/],
    [{ kty: 'EC', crv: 'P-256', x, y: x, d: x }, /private part/],
    [{ kty: 'RSA', n: 'a', e: 'AQAB' }, /has members/],
    [{ kty: 'oct', k: 'a' }, /has members/],
    [{ kty: 'OKP', crv: 'X25519', x }, /Ed25519/],
    [{ kty: 'EC', crv: 'P-384', x, y: x }, /P-256/],
    [{ kty: 'OKP', crv: 'Ed25519', x: 'short' }, /x must be/],
    [{ kty: 'OKP', crv: 'Ed25519', x, y: x }, /no y/],
    [{ kty: 'EC', crv: 'P-256', x }, /y must be/],
    [{ kty: 'OKP', crv: 'Ed25519', x, alg: 'none' }, /alg/],
    [{ kty: 'EC', crv: 'P-256', x, y: x, alg: 'EdDSA' }, /alg/],
    [{ kty: 'OKP', crv: 'Ed25519', x, use: 'enc' }, /use/],
    [{ kty: 'OKP', crv: 'Ed25519', x, kid: 7 }, /kid/],
    ['a string', /JWK object/],
    [[{ kty: 'OKP' }], /JWK object/],
    [null, /JWK object/],
  ])('refuses %j', (value, reason) => {
    expect(publicIdentityJwkProblem(value)).toMatch(reason);
  });
});
