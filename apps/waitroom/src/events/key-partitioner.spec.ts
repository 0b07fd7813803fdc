import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { KeyMemoPartitioner } from './key-partitioner';

const metadata = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));

describe('KeyMemoPartitioner', () => {
  it('picks the same partition as kafkajs DefaultPartitioner for every key, topic and size', () => {
    const memo = KeyMemoPartitioner();
    const reference = Partitioners.DefaultPartitioner();
    const keys = ['concert-2024', 'concert-2024', 'drop-7', 'a', 'concert-2024', 'ümlaut-event', 'drop-7'];
    for (const topic of ['QUEUE_JOINED', 'QUEUE_LEFT'])
      for (const count of [1, 3, 6, 12, 6])
        for (const key of keys) {
          const args = { topic, partitionMetadata: metadata(count), message: { key, value: 'v' } };
          expect(memo(args)).toBe(reference(args));
        }
  });

  it('still honours an explicit partition, also after a remembered key', () => {
    const memo = KeyMemoPartitioner();
    const partitionMetadata = metadata(6);
    memo({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v' } });
    expect(memo({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 4 } })).toBe(4);
  });
});
