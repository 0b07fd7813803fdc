import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Environment } from '../config/environment';
import { RedisService } from '../redis/redis.service';
import { admissionStepScript, type AdmissionStepResult, type NoEventResult } from './admission.scripts';

export type { AdmissionStepResult, NoEventResult };

@Injectable()
export class AdmissionRepository {
  constructor(
    private readonly redis: RedisService,
    private readonly env: Environment,
  ) {}

  /** Runs one admission step for one event. */
  step(eventId: string): Promise<AdmissionStepResult | NoEventResult> {
    return this.redis.run(admissionStepScript, {
      keys: this.redis.keys.forEvent(eventId),
      batchMax: this.env.ADMISSION_BATCH_MAX,
      retentionSeconds: this.env.SESSION_RETENTION_SECONDS,
      messageIdPrefix: randomUUID(),
    });
  }
}
