import { InvalidConfigurationError, validateEnvironment } from './environment';

describe('validateEnvironment', () => {
  const sut = validateEnvironment;

  it('has the documented defaults', () => {
    const config = sut({});
    expect(config).toMatchObject({
      port: 8081,
      host: '0.0.0.0',
      kafkaBrokers: ['127.0.0.1:9092'],
      waitroomUrl: 'http://127.0.0.1:8080',
      jwksUrl: 'http://127.0.0.1:8080/.well-known/jwks.json',
      checkoutDelay: { minMs: 2000, maxMs: 8000 },
      failureRate: 0.1,
      logLevel: 'log',
    });
    expect([...config.simulatedEvents]).toEqual(['concert-2024']);
  });

  it('reads every variable', () => {
    const config = sut({
      PORT: '9000',
      HOST: '127.0.0.1',
      KAFKA_BROKERS: 'a:1,b:2',
      WAITROOM_URL: 'https://waitroom.example/base/',
      SIMULATED_EVENTS: 'a, b.c ,d:e',
      CHECKOUT_DELAY_MS: '100-300',
      CHECKOUT_FAILURE_RATE: '0.5',
      LOG_LEVEL: 'warn',
      UNRELATED: 'ignored',
    });
    expect(config).toMatchObject({
      port: 9000,
      kafkaBrokers: ['a:1', 'b:2'],
      jwksUrl: 'https://waitroom.example/base/.well-known/jwks.json',
      checkoutDelay: { minMs: 100, maxMs: 300 },
      failureRate: 0.5,
    });
    expect([...config.simulatedEvents]).toEqual(['a', 'b.c', 'd:e']);
  });

  it.each([
    [{ PORT: 'x' }, /^Invalid configuration: PORT: /],
    [{ KAFKA_BROKERS: 'nohost' }, /KAFKA_BROKERS must look like host:port/],
    [{ WAITROOM_URL: 'ftp://x' }, /WAITROOM_URL must be an http/],
    [{ SIMULATED_EVENTS: 'a,,b' }, /SIMULATED_EVENTS must be a comma-separated list/],
    [{ CHECKOUT_DELAY_MS: '8000-2000' }, /CHECKOUT_DELAY_MS: must be milliseconds/],
    [{ CHECKOUT_FAILURE_RATE: '1.5' }, /CHECKOUT_FAILURE_RATE must be a number between 0 and 1/],
    [{ CHECKOUT_FAILURE_RATE: '-0.1' }, /CHECKOUT_FAILURE_RATE must be a number between 0 and 1/],
    [{ LOG_LEVEL: 'loud' }, /^Invalid configuration: LOG_LEVEL: /],
  ])('refuses %p with one line', (raw, message) => {
    expect(() => sut(raw)).toThrow(InvalidConfigurationError);
    expect(() => sut(raw)).toThrow(message);
    try {
      sut(raw);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });
});
