import { queueSuite } from './queue/queue-suite';
import { TEST_REDIS_URL } from './support/test-env';

queueSuite('standalone', () => ({ REDIS_URL: TEST_REDIS_URL }));
