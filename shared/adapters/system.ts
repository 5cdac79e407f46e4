import { randomBytes } from 'node:crypto';
import { base62FromBytes, ID_PREFIXES, ID_RANDOM_LENGTH, type IdKind } from '../domain/ids.ts';
import type { Clock, IdGenerator } from '../ports.ts';

export const systemClock: Clock = { now: () => new Date() };

function randomBase62(length: number): string {
  // 248/256 of bytes are usable; ask for enough that a shortfall is astronomically unlikely.
  for (;;) {
    try {
      return base62FromBytes(randomBytes(length * 2 + 16), length);
    } catch {
      // not enough usable bytes this time: draw again
    }
  }
}

/** Ids and secrets from the operating system's CSPRNG. */
export const cryptoIds: IdGenerator = {
  next: (kind: IdKind) => `${ID_PREFIXES[kind]}${randomBase62(ID_RANDOM_LENGTH)}`,
  secret: (length: number) => randomBase62(length),
};
