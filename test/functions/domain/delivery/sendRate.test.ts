import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifySesError,
  createSendRateLimiter,
  describeSesError,
  fullJitterDelay,
  isRetryableSendError,
  remainingDailyQuota,
  retryWithBackoff,
  type SesErrorKind,
} from '../../../../functions/domain/delivery/sendRate.js';

/** A fake clock whose sleep advances time instantly and records every sleep. */
function fakeClock(start = 1_000_000) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    sleeps,
  };
}

describe('remainingDailyQuota', () => {
  it('is max24HourSend - sentLast24Hours, floored at 0', () => {
    expect(remainingDailyQuota(50_000, 1_234)).toBe(48_766);
    expect(remainingDailyQuota(200, 200)).toBe(0);
    expect(remainingDailyQuota(200, 250)).toBe(0);
    expect(remainingDailyQuota(200.0, 0.5)).toBe(199);
  });
  it('treats a negative maximum as unlimited', () => {
    expect(remainingDailyQuota(-1, 10)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('createSendRateLimiter', () => {
  it('spaces sends at 1/rate with the default burst of 1', async () => {
    const clock = fakeClock();
    const limiter = createSendRateLimiter({
      maxSendRate: 14,
      max24HourSend: 1000,
      sentLast24Hours: 0,
      ...clock,
    });
    const start = clock.now();
    const times: number[] = [];
    for (let i = 0; i < 15; i++) {
      expect(await limiter.acquire()).toEqual({ ok: true });
      times.push(clock.now() - start);
    }
    expect(times[0]).toBe(0);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      expect(gap).toBeGreaterThanOrEqual(71);
      expect(gap).toBeLessThanOrEqual(72);
    }
    // Never more than 14 sends in any 1000 ms window.
    for (let i = 14; i < times.length; i++) expect(times[i]! - times[i - 14]!).toBeGreaterThanOrEqual(1000);
  });

  it('never exceeds rate × window + burst in any window (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0.5, max: 50, noNaN: true }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 5, maxLength: 60 }),
        async (rate, burst, pauses) => {
          const clock = fakeClock();
          const limiter = createSendRateLimiter({
            maxSendRate: rate,
            max24HourSend: -1,
            sentLast24Hours: 0,
            burst,
            ...clock,
          });
          const times: number[] = [];
          for (const pause of pauses) {
            clock.advance(pause);
            await limiter.acquire();
            times.push(clock.now());
          }
          for (let i = 0; i < times.length; i++) {
            for (let j = i; j < times.length; j++) {
              const window = times[j]! - times[i]!;
              expect(j - i + 1).toBeLessThanOrEqual(Math.floor(burst + (window * rate) / 1000 + 1e-9));
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('allows a burst up to capacity, then paces', () => {
    const clock = fakeClock();
    const limiter = createSendRateLimiter({
      maxSendRate: 10,
      max24HourSend: -1,
      sentLast24Hours: 0,
      burst: 3,
      ...clock,
    });
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    expect(limiter.tryAcquire()).toEqual({ ok: false, reason: 'rate_limited', waitMs: 100 });
    clock.advance(50);
    expect(limiter.tryAcquire()).toEqual({ ok: false, reason: 'rate_limited', waitMs: 50 });
    clock.advance(50);
    expect(limiter.tryAcquire()).toEqual({ ok: true });
    // Idle time refills only up to the burst.
    clock.advance(60_000);
    for (let i = 0; i < 3; i++) expect(limiter.tryAcquire().ok).toBe(true);
    expect(limiter.tryAcquire().ok).toBe(false);
  });

  it('supports fractional rates', async () => {
    const clock = fakeClock();
    const limiter = createSendRateLimiter({
      maxSendRate: 0.5,
      max24HourSend: -1,
      sentLast24Hours: 0,
      ...clock,
    });
    await limiter.acquire();
    await limiter.acquire();
    expect(clock.sleeps).toEqual([2000]);
  });

  it('stops at the daily quota without sleeping', async () => {
    const clock = fakeClock();
    const limiter = createSendRateLimiter({
      maxSendRate: 100,
      max24HourSend: 200,
      sentLast24Hours: 197,
      ...clock,
    });
    expect(limiter.remainingQuota()).toBe(3);
    for (let i = 0; i < 3; i++) expect(await limiter.acquire()).toEqual({ ok: true });
    const sleepsBefore = clock.sleeps.length;
    expect(await limiter.acquire()).toEqual({ ok: false, reason: 'quota_exhausted' });
    expect(limiter.tryAcquire()).toEqual({ ok: false, reason: 'quota_exhausted' });
    expect(clock.sleeps.length).toBe(sleepsBefore);
    expect(limiter.remainingQuota()).toBe(0);
    expect(limiter.granted()).toBe(3);
  });

  it('release gives back quota for a send that was not made', async () => {
    const clock = fakeClock();
    const limiter = createSendRateLimiter({
      maxSendRate: 100,
      max24HourSend: 1,
      sentLast24Hours: 0,
      ...clock,
    });
    expect(await limiter.acquire()).toEqual({ ok: true });
    expect(await limiter.acquire()).toEqual({ ok: false, reason: 'quota_exhausted' });
    limiter.release();
    expect(limiter.remainingQuota()).toBe(1);
    expect(await limiter.acquire()).toEqual({ ok: true });
    limiter.release();
    limiter.release(); // extra releases beyond what was granted are ignored
    expect(limiter.remainingQuota()).toBe(1);
  });

  it('tolerates a clock that goes backwards', () => {
    const clock = fakeClock();
    const limiter = createSendRateLimiter({
      maxSendRate: 1,
      max24HourSend: -1,
      sentLast24Hours: 0,
      ...clock,
    });
    expect(limiter.tryAcquire().ok).toBe(true);
    clock.advance(-5000);
    expect(limiter.tryAcquire().ok).toBe(false);
  });

  it('validates its options', () => {
    const clock = fakeClock();
    expect(() =>
      createSendRateLimiter({ maxSendRate: 0, max24HourSend: 1, sentLast24Hours: 0, ...clock }),
    ).toThrow();
    expect(() =>
      createSendRateLimiter({ maxSendRate: Number.NaN, max24HourSend: 1, sentLast24Hours: 0, ...clock }),
    ).toThrow();
    expect(() =>
      createSendRateLimiter({ maxSendRate: 1, max24HourSend: 1, sentLast24Hours: 0, burst: 0.5, ...clock }),
    ).toThrow();
  });
});

describe('classifySesError', () => {
  const table: Array<[string, object, SesErrorKind]> = [
    [
      'TooManyRequestsException',
      { name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } },
      'throttled',
    ],
    ['Throttling (v1 style)', { name: 'Throttling', message: 'Maximum sending rate exceeded.' }, 'throttled'],
    ['bare 429', { name: 'Whatever', $metadata: { httpStatusCode: 429 } }, 'throttled'],
    [
      'LimitExceededException',
      { name: 'LimitExceededException', $metadata: { httpStatusCode: 400 } },
      'quota_exceeded',
    ],
    [
      'daily quota message',
      { name: 'Throttling', message: 'Daily message quota exceeded.' },
      'quota_exceeded',
    ],
    ['SendingPausedException', { name: 'SendingPausedException' }, 'permanent'],
    ['MessageRejected', { name: 'MessageRejected', message: 'Email address is not verified.' }, 'permanent'],
    ['MailFromDomainNotVerified', { name: 'MailFromDomainNotVerifiedException' }, 'permanent'],
    ['AccountSuspendedException', { name: 'AccountSuspendedException' }, 'permanent'],
    ['BadRequestException', { name: 'BadRequestException', $metadata: { httpStatusCode: 400 } }, 'permanent'],
    ['NotFoundException', { name: 'NotFoundException', $metadata: { httpStatusCode: 404 } }, 'permanent'],
    ['unknown 4xx', { name: 'Mystery', $metadata: { httpStatusCode: 403 } }, 'permanent'],
    ['InternalFailure', { name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }, 'transient'],
    ['ServiceUnavailable', { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } }, 'transient'],
    ['unknown 5xx', { name: 'Mystery', $metadata: { httpStatusCode: 502 } }, 'transient'],
    ['TimeoutError', { name: 'TimeoutError', message: 'socket hang up' }, 'transient'],
    ['ECONNRESET by code', { name: 'Error', code: 'ECONNRESET' }, 'transient'],
    ['ECONNREFUSED', { name: 'Error', code: 'ECONNREFUSED' }, 'transient'],
    ['unknown without status', { name: 'Error', message: 'boom' }, 'transient'],
    ['empty object', {}, 'transient'],
  ];
  it.each(table)('%s → %s', (_label, err, kind) => {
    expect(classifySesError(err)).toBe(kind);
  });

  it('handles non-object errors', () => {
    expect(classifySesError(undefined)).toBe('transient');
    expect(classifySesError('TooManyRequestsException')).toBe('transient');
    expect(classifySesError(null)).toBe('transient');
  });

  it('works on real Error instances', () => {
    const err = Object.assign(new Error('Sending rate exceeded'), {
      name: 'TooManyRequestsException',
      $metadata: { httpStatusCode: 429 },
    });
    expect(classifySesError(err)).toBe('throttled');
  });
});

describe('describeSesError / isRetryableSendError', () => {
  it('marks account-level failures', () => {
    expect(describeSesError({ name: 'SendingPausedException' })).toEqual({
      kind: 'permanent',
      scope: 'account',
      maybeSent: false,
    });
    expect(describeSesError({ name: 'TooManyRequestsException' }).scope).toBe('account');
    expect(describeSesError({ name: 'LimitExceededException' }).scope).toBe('account');
    expect(describeSesError({ name: 'MessageRejected' }).scope).toBe('message');
    expect(describeSesError({ name: 'BadRequestException' }).scope).toBe('message');
  });

  it('knows when SES may have accepted the message', () => {
    expect(describeSesError({ name: 'TimeoutError' }).maybeSent).toBe(true);
    expect(describeSesError({ name: 'Error', code: 'ECONNRESET' }).maybeSent).toBe(true);
    expect(describeSesError({ name: 'Error', message: '?' }).maybeSent).toBe(true);
    expect(describeSesError({ name: 'Error', code: 'ECONNREFUSED' }).maybeSent).toBe(false);
    expect(describeSesError({ name: 'InternalFailure' }).maybeSent).toBe(false);
    expect(describeSesError({ name: 'X', $metadata: { httpStatusCode: 503 } }).maybeSent).toBe(false);
  });

  it.each([
    [{ name: 'TooManyRequestsException' }, true],
    [{ name: 'X', $metadata: { httpStatusCode: 429 } }, true],
    [{ name: 'InternalFailure', $metadata: { httpStatusCode: 500 } }, true],
    [{ name: 'Error', code: 'ENOTFOUND' }, true],
    [{ name: 'TimeoutError' }, false],
    [{ name: 'Error', code: 'ECONNRESET' }, false],
    [{ name: 'MessageRejected' }, false],
    [{ name: 'LimitExceededException' }, false],
    [{ name: 'SendingPausedException' }, false],
    [{ name: 'BadRequestException' }, false],
  ])('retryable(%j) = %s', (err, expected) => {
    expect(isRetryableSendError(err)).toBe(expected);
  });
});

describe('fullJitterDelay', () => {
  it('is uniform below min(cap, base·2^(attempt-1))', () => {
    expect(fullJitterDelay(1, 100, 10_000, () => 0.999999)).toBe(99);
    expect(fullJitterDelay(3, 100, 10_000, () => 0.5)).toBe(200);
    expect(fullJitterDelay(20, 100, 10_000, () => 0.5)).toBe(5000);
    expect(fullJitterDelay(5, 100, 10_000, () => 0)).toBe(0);
    expect(fullJitterDelay(5000, 0, 10_000, () => 0.5)).toBe(0);
    expect(fullJitterDelay(5000, 100, 10_000, () => 0.5)).toBe(5000);
  });

  it('stays within [0, cap] for any attempt and random (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2000 }),
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 60_000 }),
        fc.double({ min: -1, max: 2, noNaN: true }),
        (attempt, base, cap, r) => {
          const d = fullJitterDelay(attempt, base, cap, () => r);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(Math.min(cap, base * 2 ** Math.min(attempt - 1, 52)));
          expect(Number.isInteger(d)).toBe(true);
        },
      ),
    );
  });
});

describe('retryWithBackoff', () => {
  const throttled = () => Object.assign(new Error('slow down'), { name: 'TooManyRequestsException' });
  const rejected = () => Object.assign(new Error('bad address'), { name: 'MessageRejected' });

  it('returns the first success without sleeping', async () => {
    const clock = fakeClock();
    const result = await retryWithBackoff(async () => 'ok', {
      maxAttempts: 3,
      baseMs: 100,
      capMs: 1000,
      random: () => 0.5,
      sleep: clock.sleep,
      isRetryable: isRetryableSendError,
    });
    expect(result).toBe('ok');
    expect(clock.sleeps).toEqual([]);
  });

  it('retries retryable errors with full-jitter exponential delays, then succeeds', async () => {
    const clock = fakeClock();
    const attempts: number[] = [];
    const retries: Array<{ attempt: number; delayMs: number }> = [];
    const result = await retryWithBackoff(
      async (attempt) => {
        attempts.push(attempt);
        if (attempt < 4) throw throttled();
        return attempt;
      },
      {
        maxAttempts: 5,
        baseMs: 100,
        capMs: 300,
        random: () => 0.5,
        sleep: clock.sleep,
        isRetryable: isRetryableSendError,
        onRetry: ({ attempt, delayMs }) => retries.push({ attempt, delayMs }),
      },
    );
    expect(result).toBe(4);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(clock.sleeps).toEqual([50, 100, 150]);
    expect(retries).toEqual([
      { attempt: 1, delayMs: 50 },
      { attempt: 2, delayMs: 100 },
      { attempt: 3, delayMs: 150 },
    ]);
  });

  it('does not retry permanent errors', async () => {
    const clock = fakeClock();
    let calls = 0;
    const err = rejected();
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          throw err;
        },
        {
          maxAttempts: 5,
          baseMs: 100,
          capMs: 1000,
          random: () => 0.5,
          sleep: clock.sleep,
          isRetryable: isRetryableSendError,
        },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
    expect(clock.sleeps).toEqual([]);
  });

  it('gives up after maxAttempts and rethrows the last error', async () => {
    const clock = fakeClock();
    let calls = 0;
    const errors: Error[] = [];
    await expect(
      retryWithBackoff(
        async () => {
          calls++;
          const e = throttled();
          errors.push(e);
          throw e;
        },
        {
          maxAttempts: 3,
          baseMs: 10,
          capMs: 1000,
          random: () => 0.99,
          sleep: clock.sleep,
          isRetryable: () => true,
        },
      ),
    ).rejects.toSatisfy((e) => e === errors[2]);
    expect(calls).toBe(3);
    expect(clock.sleeps).toEqual([9, 19]);
  });

  it('maxAttempts 1 means no retry', async () => {
    const clock = fakeClock();
    await expect(
      retryWithBackoff(
        async () => {
          throw throttled();
        },
        {
          maxAttempts: 1,
          baseMs: 10,
          capMs: 100,
          random: () => 0.5,
          sleep: clock.sleep,
          isRetryable: () => true,
        },
      ),
    ).rejects.toThrow('slow down');
    expect(clock.sleeps).toEqual([]);
  });

  it('rejects invalid options', async () => {
    const clock = fakeClock();
    const opts = { baseMs: 10, capMs: 100, random: () => 0.5, sleep: clock.sleep, isRetryable: () => true };
    await expect(retryWithBackoff(async () => 1, { ...opts, maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
    await expect(retryWithBackoff(async () => 1, { ...opts, maxAttempts: 2, baseMs: -1 })).rejects.toThrow();
  });
});
