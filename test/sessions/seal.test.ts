import { describe, expect, it } from 'vitest';
import { SimFlash } from '../../host-sim/hal/index.js';
import { SEALED_FORMAT_VERSION, sectorHeader } from '../../src/sessions/frame.js';
import { readSeal, SEAL_BYTES } from '../../src/sessions/journal-seal.js';
import { damage, damagedOutcome, windows, type Damage } from './corruption.js';
import { facts, nodeCrypto } from './helpers.js';
import { BS, open, outcome, sealedCount, sealedJournal, unsealed } from './seal-world.js';

// Seals (journal-seal.ts): a closed sector's summary and digest, written by
// maintain() and taken by recovery instead of walking the sector. The claim
// (docs/sessions.md, "Seals") is that a seal never changes what recovery
// finds: the same journal with its seals erased recovers to the same state,
// with or without damage anywhere, and the three damage properties of
// corruption.ts hold on sealed journals as on unsealed ones.

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('journal seals', () => {
  const world = sealedJournal();
  const small = sealedJournal(16 * 1024);

  it('maintain() seals every closed sector of a full journal, and a boot takes the seals', () => {
    const sectors = world.bytes / BS;
    let seals = 0;
    for (let s = 0; s < sectors; s++) {
      expect(world.raw[s * BS + 2], `sector ${s} is written in the sealed format`).toBe(SEALED_FORMAT_VERSION);
      if (readSeal(nodeCrypto, world.raw, s * BS, BS, undefined)) seals++;
    }
    // Every sector but the head is closed: each has its seal.
    expect(seals).toBe(sectors - 1);
    expect(sealedCount(world.raw)).toBe(sectors - 1);
    expect(sealedCount(unsealed(world.raw))).toBe(0);
  });

  it('recovers the same state from the seals as from walking every sector', () => {
    expect(outcome(world.raw)).toBe(outcome(unsealed(world.raw)));
  });

  // The sectors of the world that carry a seal (the head has none).
  const sealedSectors = () => Array.from({ length: world.bytes / BS }, (_, s) => s).filter((s) => readSeal(nodeCrypto, world.raw, s * BS, BS) !== undefined);

  it('a seal is not taken once its sector changed: a flipped bit in a sealed sector is found by the walk', () => {
    const raw = world.raw.slice();
    raw[sealedSectors()[2] * BS + 700] ^= 0x10;
    expect(sealedCount(raw)).toBe(sealedCount(world.raw) - 1);
    const flash = new SimFlash('journal', raw.length);
    flash.raw.set(raw);
    expect(open(flash).report.corruptEntries).toBeGreaterThan(0);
  });

  it('a seal of another lap, or moved to another sector, is not taken', () => {
    const raw = world.raw.slice();
    // One sealed sector's seal copied over another's: it names the other's counter.
    const [a, b] = sealedSectors().slice(2, 4);
    raw.set(raw.subarray((b + 1) * BS - SEAL_BYTES, (b + 1) * BS), (a + 1) * BS - SEAL_BYTES);
    expect(sealedCount(raw)).toBe(sealedCount(world.raw) - 1);
    expect(outcome(raw)).toBe(outcome(unsealed(raw)));
  });

  it('does not seal a sector whose walk is not clean, nor write over a seal place already written', () => {
    const flash = new SimFlash('journal', 16 * 1024);
    const { j } = open(flash);
    let i = 0;
    while (flash.raw[BS + 2] !== SEALED_FORMAT_VERSION) {
      j.append(facts(i++));
      j.signPending();
    }
    // Sector 0 is closed; damage one of its entries before the sealer runs.
    flash.raw[400] ^= 0x01;
    j.maintain();
    expect(flash.raw.subarray(BS - SEAL_BYTES, BS).every((b) => b === 0xff)).toBe(true);
    // A torn seal (some bytes programmed) is left alone, and the sector walked at each boot.
    const flash2 = new SimFlash('journal', 16 * 1024);
    const j2 = open(flash2).j;
    i = 0;
    while (flash2.raw[BS + 2] !== SEALED_FORMAT_VERSION) {
      j2.append(facts(i++));
      j2.signPending();
    }
    flash2.raw[BS - SEAL_BYTES] = 0x5a;
    const before = flash2.raw.slice();
    j2.maintain();
    expect(hex(flash2.raw.subarray(BS - SEAL_BYTES, BS))).toBe(hex(before.subarray(BS - SEAL_BYTES, BS)));
    expect(sealedCount(flash2.raw)).toBe(0);
    expect(outcome(flash2.raw)).toBe(outcome(unsealed(flash2.raw)));
  });

  it('reads a journal written in the first format (version 1, no seal place) and goes on in the sealed format', () => {
    // The same records laid out by hand in version-1 sectors: entries up to the sector's end.
    const v1 = new SimFlash('journal', 16 * 1024);
    const { j } = open(v1);
    for (let i = 0; i < 10; i++) {
      j.append(facts(i));
      j.signPending();
    }
    // Rewrite the one sector's header as version 1 (its entries fit either way).
    v1.raw.set(sectorHeader(0), 0);
    const again = open(v1);
    expect(again.report.records).toBe(10);
    expect(again.j.readFrom(1, Infinity).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Appends go on in it up to its very end (version 1 has no seal place), then open version-2 sectors.
    let i = 10;
    while (v1.raw[BS + 2] !== SEALED_FORMAT_VERSION) {
      again.j.append(facts(i++));
      again.j.signPending();
      again.j.maintain();
    }
    const third = open(v1);
    expect(third.report.records).toBe(i);
    expect(third.report.corruptEntries).toBe(0);
    expect(third.j.readFrom(1, Infinity).length).toBe(i);
  });

  const KINDS: Damage[] = ['zero', 'invert'];
  it('a 16 KiB sealed journal, every 64-byte window zeroed or inverted, and every bit of one window flipped: seals change nothing recovery finds, and the three damage properties hold', () => {
    const failures: string[] = [];
    for (const kind of KINDS) {
      for (const at of windows(small)) {
        const raw = small.raw.slice();
        damage(raw, at, kind);
        // The same damage to the same journal without its seals.
        const plain = unsealed(small.raw);
        damage(plain, at, kind);
        if (outcome(raw) !== outcome(plain)) failures.push(`${kind}@${at}: sealed and unsealed recover differently`);
        const problems = damagedOutcome(small, [{ at, kind }]).problems;
        if (problems.length) failures.push(`${kind}@${at}: ${problems.join('; ')}`);
      }
    }
    // One window's bytes, every bit: the seal's own digest bytes included.
    for (let at = 2 * BS - SEAL_BYTES - 8; at < 2 * BS; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const raw = small.raw.slice();
        raw[at] ^= 1 << bit;
        const plain = unsealed(small.raw);
        plain[at] ^= 1 << bit;
        if (outcome(raw) !== outcome(plain)) failures.push(`bit ${bit}@${at}: sealed and unsealed recover differently`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  }, 120_000);
});
