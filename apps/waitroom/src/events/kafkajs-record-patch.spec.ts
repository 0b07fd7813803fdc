/* The one-pass record encoder that patches/kafkajs+2.2.4.patch adds to kafkajs (patches/README.md). */
/* eslint-disable @typescript-eslint/no-require-imports -- kafkajs's protocol modules have no typings */
interface EncoderLike {
  buffer: Buffer;
  writeVarInt(value: number): EncoderLike;
  writeInt8(value: number): EncoderLike;
  writeVarLong(value: number): EncoderLike;
  writeVarIntBytes(value: unknown): EncoderLike;
  writeVarIntString(value: string): EncoderLike;
  writeVarIntArray(values: EncoderLike[]): EncoderLike;
}
type RecordHeaders = Record<string, string | Buffer | null | (string | Buffer)[]>;
interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key: unknown;
  value: unknown;
  headers?: RecordHeaders;
}
const Encoder = require('kafkajs/src/protocol/encoder') as {
  new (): EncoderLike;
  sizeOfVarLong(value: number): number;
  sizeOfVarInt(value: number): number;
  sizeOfVarIntBytes(value: unknown): number;
};
const Decoder = require('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => {
  readVarInt(): number;
};
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (input: RecordInput) => EncoderLike;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (
  decoder: InstanceType<typeof Decoder>,
  context: object,
) => { key: Buffer | null; value: Buffer | null; headers: Record<string, Buffer | Buffer[] | null>; offset: string };

/** kafkajs's own way of writing a record (the path the patch keeps for what it does not handle). */
function referenceEncoding({ offsetDelta = 0, timestampDelta = 0, key, value, headers = {} }: RecordInput): Buffer {
  const pairs = Object.keys(headers).flatMap((headerKey) => {
    const headerValue = headers[headerKey];
    return Array.isArray(headerValue)
      ? headerValue.map((one) => ({ key: headerKey, value: one }))
      : [{ key: headerKey, value: headerValue }];
  });
  let headersSize = Encoder.sizeOfVarInt(pairs.length);
  for (const pair of pairs) {
    const keySize = Buffer.byteLength(pair.key);
    headersSize += Encoder.sizeOfVarInt(keySize) + keySize;
    headersSize +=
      pair.value === null
        ? Encoder.sizeOfVarInt(-1)
        : Encoder.sizeOfVarInt(Buffer.byteLength(pair.value)) + Buffer.byteLength(pair.value);
  }
  const sizeOfBody =
    1 +
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    headersSize;
  return new Encoder()
    .writeVarInt(sizeOfBody)
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarIntArray(pairs.map((pair) => new Encoder().writeVarIntString(pair.key).writeVarIntBytes(pair.value)))
    .buffer;
}

const QUEUE_JOINED = Buffer.from(
  JSON.stringify({ event_type: 'QUEUE_JOINED', event_id: 'concert-2024', user_id: 'ü-ser', position: 1 }),
);

describe('kafkajs record encoding (patched)', () => {
  const cases: [string, RecordInput][] = [
    ['a relay message', { offsetDelta: 7, key: 'concert-2024', value: QUEUE_JOINED, headers: { message_id: 'b3c1' } }],
    ['string value, no headers', { key: 'k', value: 'plain text' }],
    ['non-ASCII key and header', { key: 'événement-☃', value: 'v', headers: { 'clé-☃': 'välue' } }],
    ['null key and null value (a tombstone)', { key: null, value: null }],
    ['Buffer key, Buffer and null header values', { key: Buffer.from([0, 255]), value: 'v', headers: { a: Buffer.from([1]), b: null } }],
    ['a header with several values', { key: 'k', value: 'v', headers: { trace: ['one', Buffer.from('two')] } }],
    ['large deltas near 32 bits', { offsetDelta: 2 ** 31 - 1, timestampDelta: 2 ** 31 - 1, key: 'k', value: 'v' }],
    ['negative timestamp delta', { timestampDelta: -5, key: 'k', value: 'v' }],
    ['a value of several kilobytes', { key: 'k', value: Buffer.alloc(70_000, 0x61) }],
    ['timestamp delta past 32 bits (kafkajs path)', { timestampDelta: 2 ** 40, key: 'k', value: 'v' }],
  ];

  it.each(cases)('%s: the same bytes as kafkajs writes', (_name, input) => {
    expect(encodeRecord(input).buffer.equals(referenceEncoding(input))).toBe(true);
  });

  it('still refuses what kafkajs refuses (a numeric header value goes its path and throws there)', () => {
    const input = { key: 'k', value: 'v', headers: { n: 5 as unknown as string } };
    expect(() => referenceEncoding(input)).toThrow(/"string" argument must be of type string/);
    expect(() => encodeRecord(input)).toThrow(/"string" argument must be of type string/);
  });

  it('reads back with kafkajs decoder to the same key, value and headers', () => {
    const input: RecordInput = {
      offsetDelta: 3,
      key: 'concert-2024',
      value: QUEUE_JOINED,
      headers: { message_id: 'b3c1', trace: ['one', 'two'] },
    };
    const decoder = new Decoder(encodeRecord(input).buffer);
    decoder.readVarInt(); // the record's length, read by the batch decoder before the record
    const record = decodeRecord(decoder, { firstOffset: '100', firstTimestamp: '1700000000000', magicByte: 2 });
    expect(record.offset).toBe('103');
    expect(record.key?.toString()).toBe('concert-2024');
    expect(record.value?.equals(QUEUE_JOINED)).toBe(true);
    expect(String(record.headers.message_id)).toBe('b3c1');
    expect((record.headers.trace as Buffer[]).map(String)).toEqual(['one', 'two']);
  });
});
