import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_SEND_MAP_CONCURRENCY,
  maxInWindow,
  segmentSendShare,
  sendMapConcurrency,
  sendWindowBound,
} from '../../../../functions/domain/delivery/sendPacing.js';
import { createSendRateLimiter } from '../../../../functions/domain/delivery/sendRate.js';

describe('send Map concurrency', () => {
  it('is the segment count up to 40', () => {
    expect(sendMapConcurrency(4)).toBe(4);
    expect(sendMapConcurrency(40)).toBe(40);
    expect(sendMapConcurrency(64)).toBe(MAX_SEND_MAP_CONCURRENCY);
    expect(() => sendMapConcurrency(0)).toThrow(/positive integer/);
    // No more segments than the account's rate needs (10/s each): 14/s → 2, 100/s → 10, 1,000/s → 40.
    expect(sendMapConcurrency(64, 14)).toBe(2);
    expect(sendMapConcurrency(64, 100)).toBe(10);
    expect(sendMapConcurrency(64, 1000)).toBe(MAX_SEND_MAP_CONCURRENCY);
    expect(sendMapConcurrency(4, 1000)).toBe(4);
    expect(sendMapConcurrency(64, 1)).toBe(1);
    expect(() => sendMapConcurrency(4, 0)).toThrow(/positive number/);
  });
});

describe('segment share', () => {
  it('splits the smaller of the configured and the account rate over the segments sending at once', () => {
    const s = segmentSendShare({
      configuredRate: 14,
      accountRate: 20,
      concurrency: 40,
      totalSegments: 64,
      segment: 3,
    });
    expect(s.accountRate).toBe(14);
    expect(s.sharers).toBe(40);
    expect(s.rate).toBeCloseTo(0.35);
    const t = segmentSendShare({
      configuredRate: 100,
      accountRate: 14,
      concurrency: 40,
      totalSegments: 64,
      segment: 0,
    });
    expect(t.accountRate).toBe(14);
  });

  it('never counts more sharers than segments', () => {
    const s = segmentSendShare({ configuredRate: 10, concurrency: 40, totalSegments: 4, segment: 0 });
    expect(s.sharers).toBe(4);
    expect(s.rate).toBe(2.5);
  });

  it('refuses a rate or concurrency that cannot pace', () => {
    expect(() =>
      segmentSendShare({ configuredRate: 0, concurrency: 4, totalSegments: 4, segment: 0 }),
    ).toThrow(/MAX_SEND_RATE/);
    expect(() =>
      segmentSendShare({ configuredRate: 1, concurrency: 0, totalSegments: 4, segment: 0 }),
    ).toThrow(/SEND_CONCURRENCY/);
  });

  it('the shares of the segments sending at once sum to the account rate, and their stagger is distinct', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 5000, noNaN: true }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 200 }),
        (rate, concurrency, totalSegments) => {
          const sharers = Math.min(concurrency, totalSegments);
          const shares = Array.from({ length: sharers }, (_, segment) =>
            segmentSendShare({ configuredRate: rate, concurrency, totalSegments, segment }),
          );
          const sum = shares.reduce((a, s) => a + s.rate, 0);
          expect(sum).toBeCloseTo(rate, 6);
          expect(new Set(shares.map((s) => s.initialTokens)).size).toBe(sharers);
          for (const s of shares) expect(s.initialTokens).toBeGreaterThan(0);
        },
      ),
    );
  });
});

describe('the window bound, on a fake clock', () => {
  it('maxInWindow counts a sliding window', () => {
    expect(maxInWindow([0, 10, 999, 1000, 1500], 1000)).toBe(3);
    expect(maxInWindow([], 1000)).toBe(0);
  });

  it('N limiters at their shares never exceed rate·W + N in any window', () => {
    fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 12, maxLength: 12 }),
        async (rate, n, delays) => {
          let clock = 0;
          const sends: number[] = [];
          // A discrete-event run: every segment acquires, "sends" at the clock, then works for a while.
          const limiters = Array.from({ length: n }, (_, segment) => {
            const share = segmentSendShare({
              configuredRate: rate,
              concurrency: n,
              totalSegments: n,
              segment,
            });
            return {
              next: 0,
              work: delays[segment] ?? 0,
              limiter: createSendRateLimiter({
                maxSendRate: share.rate,
                max24HourSend: -1,
                sentLast24Hours: 0,
                initialTokens: share.initialTokens,
                now: () => clock,
                sleep: async () => undefined,
              }),
            };
          });
          while (clock < 5000) {
            for (const l of limiters) {
              if (l.next > clock) continue;
              const r = l.limiter.tryAcquire();
              if (r.ok) {
                sends.push(clock);
                l.next = clock + l.work;
              } else if (r.reason === 'rate_limited') l.next = clock + r.waitMs;
            }
            clock = Math.min(...limiters.map((l) => Math.max(l.next, clock + 1)));
          }
          expect(maxInWindow(sends, 1000)).toBeLessThanOrEqual(sendWindowBound(rate, n, 1));
          // Over the whole run the average stays at the rate.
          expect(sends.length).toBeLessThanOrEqual(rate * 5 + n);
        },
      ),
      { numRuns: 60 },
    );
  });
});
