/** CRC16-CCITT (XModem) lookup table, as Redis Cluster's key hashing uses. */
const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/**
 * The hash slot (0–16383) of a key or shard channel, as Redis Cluster computes it: CRC16 of the key, or of
 * the text between the first `{` and the next `}` when that is not empty (a hash tag).
 *
 * @example clusterSlot('{cache:!bus}:ack:1') === clusterSlot('{cache:!bus}')
 */
export function clusterSlot(key: string): number {
  let bytes = Buffer.from(key, 'utf8');
  const open = bytes.indexOf(0x7b);
  if (open >= 0) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) bytes = bytes.subarray(open + 1, close);
  }
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc % 16384;
}
