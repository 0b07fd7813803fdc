import type { AdmissionTokenVerifier, TokenVerdict } from '@waitroom/gate';
import { SimulatorConfig, validateEnvironment } from '../config/environment';
import { SimulatorMetrics } from '../metrics/simulator-metrics';
import { queueReadyRecord } from '../testing/queue-ready-record';
import { CheckoutService } from './checkout.service';
import type { OutcomePublisher } from './outcome-publisher';

const claims = {
  sessionId: 'ev-1~s1',
  eventId: 'ev-1',
  userId: 'u-1',
  issuer: 'waitroom',
  issuedAt: null,
  expiresAt: new Date(Date.now() + 600_000),
};

async function metricValue(metrics: SimulatorMetrics, name: string, labels: Record<string, string> = {}) {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) =>
    Object.entries(labels).every(([k, l]) => (v.labels as Record<string, unknown>)[k] === l),
  );
  return value?.value ?? 0;
}

describe('CheckoutService', () => {
  let config: SimulatorConfig;
  let verify: jest.Mock<Promise<TokenVerdict>>;
  let publish: jest.Mock<Promise<void>>;
  let metrics: SimulatorMetrics;
  let draws: number[];
  let sut: CheckoutService;

  beforeEach(() => {
    jest.useFakeTimers();
    config = validateEnvironment({
      SIMULATED_EVENTS: 'ev-1',
      CHECKOUT_DELAY_MS: '1000-3000',
      CHECKOUT_FAILURE_RATE: '0.1',
    });
    verify = jest.fn().mockResolvedValue({ ok: true, claims });
    publish = jest.fn().mockResolvedValue(undefined);
    metrics = new SimulatorMetrics();
    // delay draw, then the failure draw (then the reason draw when it fails)
    draws = [0.5, 0.9];
    let i = 0;
    sut = new CheckoutService(
      config,
      { verify } as unknown as AdmissionTokenVerifier,
      { publish } as unknown as OutcomePublisher,
      metrics,
      () => draws[i++ % draws.length],
    );
  });

  afterEach(() => {
    sut.onModuleDestroy();
    jest.useRealTimers();
  });

  it('completes a verified admission after the drawn delay, keyed by event', async () => {
    await expect(sut.handleQueueReady(queueReadyRecord())).resolves.toBe('started');
    expect(verify).toHaveBeenCalledWith('a.b.c', { eventId: 'ev-1', sessionId: 'ev-1~s1' });
    expect(sut.statusOf('ev-1~s1')).toBe('pending');
    await jest.advanceTimersByTimeAsync(1999);
    expect(publish).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(publish).toHaveBeenCalledWith('CHECKOUT_COMPLETED', {
      session_id: 'ev-1~s1',
      event_id: 'ev-1',
      user_id: 'u-1',
      order_id: expect.stringMatching(/^ord_/),
      timestamp: expect.any(String),
    });
    expect(sut.statusOf('ev-1~s1')).toBe('completed');
    expect(sut.pendingCount).toBe(0);
    expect(
      await metricValue(metrics, 'checkout_simulator_checkouts_completed_total', { event_id: 'ev-1' }),
    ).toBe(1);
  });

  it('fails at the failure rate, with a reason', async () => {
    draws = [0, 0.05, 0];
    await sut.handleQueueReady(queueReadyRecord());
    await jest.advanceTimersByTimeAsync(1000);
    expect(publish).toHaveBeenCalledWith(
      'CHECKOUT_FAILED',
      expect.objectContaining({ reason: 'payment_declined' }),
    );
    expect(sut.statusOf('ev-1~s1')).toBe('failed');
  });

  it('drops a token that does not verify: counted, never completed', async () => {
    verify.mockResolvedValue({
      ok: false,
      reason: 'bad_signature',
      message: 'signature verification failed',
    });
    await expect(sut.handleQueueReady(queueReadyRecord())).resolves.toBe('rejected');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(publish).not.toHaveBeenCalled();
    expect(
      await metricValue(metrics, 'checkout_simulator_tokens_rejected_total', { reason: 'bad_signature' }),
    ).toBe(1);
  });

  it('tries again while the key set is unreachable, then gives up', async () => {
    verify
      .mockResolvedValueOnce({ ok: false, reason: 'jwks_unavailable', message: 'ECONNREFUSED' })
      .mockResolvedValueOnce({ ok: true, claims });
    const first = sut.handleQueueReady(queueReadyRecord());
    await jest.advanceTimersByTimeAsync(250);
    await expect(first).resolves.toBe('started');

    verify.mockResolvedValue({ ok: false, reason: 'jwks_unavailable', message: 'ECONNREFUSED' });
    const second = sut.handleQueueReady(queueReadyRecord({ message_id: 'm-2', session_id: 'ev-1~s2' }));
    await jest.advanceTimersByTimeAsync(1000);
    await expect(second).resolves.toBe('rejected');
    expect(verify).toHaveBeenCalledTimes(2 + 3);
  });

  it('skips other events, malformed records and duplicates without verifying them', async () => {
    await expect(sut.handleQueueReady(queueReadyRecord({ event_id: 'ev-2' }))).resolves.toBe('not_simulated');
    await expect(sut.handleQueueReady(Buffer.from('{nope'))).resolves.toBe('malformed');
    await expect(sut.handleQueueReady(null)).resolves.toBe('malformed');
    await expect(sut.handleQueueReady(queueReadyRecord({ admission_token: 42 }))).resolves.toBe('malformed');
    expect(verify).not.toHaveBeenCalled();

    await sut.handleQueueReady(queueReadyRecord());
    await expect(sut.handleQueueReady(queueReadyRecord())).resolves.toBe('duplicate');
    await jest.advanceTimersByTimeAsync(5000);
    await expect(sut.handleQueueReady(queueReadyRecord())).resolves.toBe('duplicate');
    expect(publish).toHaveBeenCalledTimes(1);
    expect(
      await metricValue(metrics, 'checkout_simulator_records_skipped_total', { reason: 'malformed' }),
    ).toBe(3);
  });

  it('counts an outcome the broker never acknowledged', async () => {
    publish.mockRejectedValue(new Error('broker away'));
    await sut.handleQueueReady(queueReadyRecord());
    await jest.advanceTimersByTimeAsync(3000);
    expect(sut.statusOf('ev-1~s1')).toBe('not_published');
    expect(
      await metricValue(metrics, 'checkout_simulator_publish_failures_total', {
        topic: 'CHECKOUT_COMPLETED',
      }),
    ).toBe(1);
  });

  it('on drain publishes pending checkouts at once and takes no new ones', async () => {
    await sut.handleQueueReady(queueReadyRecord());
    await sut.handleQueueReady(queueReadyRecord({ message_id: 'm-2', session_id: 'ev-1~s2' }));
    await expect(sut.drain(1000)).resolves.toEqual({ published: 2, dropped: 0 });
    expect(publish).toHaveBeenCalledTimes(2);
    await expect(
      sut.handleQueueReady(queueReadyRecord({ message_id: 'm-3', session_id: 'ev-1~s3' })),
    ).resolves.toBe('shutting_down');
  });

  it('on drain drops what is not acknowledged within the budget', async () => {
    publish.mockReturnValue(new Promise(() => undefined));
    await sut.handleQueueReady(queueReadyRecord());
    const drained = sut.drain(500);
    await jest.advanceTimersByTimeAsync(500);
    await expect(drained).resolves.toEqual({ published: 0, dropped: 1 });
    expect(await metricValue(metrics, 'checkout_simulator_pending_checkouts')).toBe(0);
  });
});
