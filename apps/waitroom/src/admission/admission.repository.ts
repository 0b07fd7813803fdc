import { Injectable } from '@nestjs/common';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import { admissionStepCall } from '../redis/script-calls';

export interface AdmissionStepResult {
  /** false when the event was paused, closed or not yet open: nobody was admitted. */
  moving: boolean;
  expired: number;
  abandoned: number;
  admitted: number;
  queueLength: number;
  activeCount: number;
}

@Injectable()
export class AdmissionRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly env: Environment,
  ) {}

  /** Runs admission-tick-7.lua for one event; null if the event has no configuration. */
  async step(eventId: string): Promise<AdmissionStepResult | null> {
    const keys = this.redis.keys.forEvent(eventId);
    const call = admissionStepCall(keys, {
      batchMax: this.env.ADMISSION_BATCH_MAX,
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
    });
    const reply = (await this.redis.runScript('admission-tick', call.keys, call.args)) as [
      string,
      number,
      number,
      number,
      number,
      number,
    ];
    if (reply[0] === 'NO_EVENT') return null;
    const [code, expired, abandoned, admitted, queueLength, activeCount] = reply;
    return { moving: code === 'OK', expired, abandoned, admitted, queueLength, activeCount };
  }
}
