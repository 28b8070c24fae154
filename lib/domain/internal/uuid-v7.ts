import { randomBytes } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, a 12-bit counter, then random bits — the id scheme of the Prisma
 * schema's `@default(uuid(7))`, generated here when a verb needs an id before the insert. Monotonic within this
 * process (RFC 9562 §6.2 method 1): ids made in the same millisecond count up, so "newest first" by id holds.
 */
export function uuidV7(nowMs: number = Date.now()): string {
  let ms = Math.max(Math.floor(nowMs), 0);
  if (ms <= lastMs) {
    ms = lastMs;
    counter++;
    if (counter > 0xfff) {
      ms = ++lastMs;
      counter = 0;
    }
  } else {
    counter = 0;
  }
  lastMs = ms;
  const b = randomBytes(16);
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (counter >> 8); // version 7 + counter high bits
  b[7] = counter & 0xff;
  b[8] = (b[8] & 0x3f) | 0x80; // variant 10
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
