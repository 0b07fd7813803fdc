import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/**
 * kafkajs's DefaultPartitioner (Java-compatible murmur2 of the key), remembering the last key's
 * partition. Every message of a relay batch is keyed by the same event_id, and hashing each one
 * again showed in the relay's profile (docs/benchmarks.md). The answer is the DefaultPartitioner's own, per topic and
 * partition count, so the key -> partition mapping is unchanged.
 */
export const KeyMemoPartitioner: ICustomPartitioner = () => {
  const defaultPartitioner = Partitioners.DefaultPartitioner();
  let lastTopic: string | undefined;
  let lastKey: string | undefined;
  let lastPartitionCount = -1;
  let lastPartition = 0;
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    const key = typeof message.key === 'string' ? message.key : undefined;
    const explicit = message.partition !== null && message.partition !== undefined;
    if (
      !explicit &&
      key !== undefined &&
      key === lastKey &&
      topic === lastTopic &&
      partitionMetadata.length === lastPartitionCount
    ) {
      return lastPartition;
    }
    const partition = defaultPartitioner(args);
    if (!explicit && key !== undefined) {
      lastTopic = topic;
      lastKey = key;
      lastPartitionCount = partitionMetadata.length;
      lastPartition = partition;
    }
    return partition;
  };
};
