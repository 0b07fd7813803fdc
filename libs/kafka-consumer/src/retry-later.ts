import { KafkaJSError } from 'kafkajs';

/**
 * The one error a checkout handler lets out: "not done, try this record again later". It is a
 * retriable kafkajs error, so kafkajs does not commit the offset, retries with backoff and, if it
 * runs out of retries, restarts the consumer (it never stops for good on a retriable error).
 */
export class RetryLater extends KafkaJSError {
  override readonly name = 'RetryLater';

  constructor(reason: string) {
    super(reason, { retriable: true });
  }
}
