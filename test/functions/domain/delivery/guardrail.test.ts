import { describe, expect, it } from 'vitest';
import {
  hourBucket,
  judgeReputation,
  reasonFromAlarm,
  shardOf,
  windowBuckets,
} from '../../../../functions/domain/delivery/guardrail.js';
import { checkSendCapacity, sendWindowHours } from '../../../../functions/domain/delivery/sendCapacity.js';

const T = { bounceRate: 0.04, complaintRate: 0.0008, minSends: 500 };

describe('reputation verdict', () => {
  it('does not judge below the minimum volume, however bad the rate looks', () => {
    const v = judgeReputation({ sends: 499, bounces: 100, complaints: 10 }, T);
    expect(v).toMatchObject({ trip: false, why: 'too_few_sends' });
  });
  it('trips strictly above the bounce threshold, at the minimum volume', () => {
    expect(judgeReputation({ sends: 500, bounces: 20, complaints: 0 }, T).trip).toBe(false); // exactly 4 %
    const v = judgeReputation({ sends: 500, bounces: 21, complaints: 0 }, T);
    expect(v).toMatchObject({ trip: true, metric: 'bounce' });
    expect(v.trip && v.reason).toBe(
      'bounce rate 4.20 % passed 4.00 %: 21 hard bounces (500 sends in the window)',
    );
  });
  it('trips above the complaint threshold; bounce is named first when both pass', () => {
    expect(judgeReputation({ sends: 10_000, bounces: 0, complaints: 8 }, T).trip).toBe(false); // 0.08 %
    expect(judgeReputation({ sends: 10_000, bounces: 0, complaints: 9 }, T)).toMatchObject({
      trip: true,
      metric: 'complaint',
    });
    expect(judgeReputation({ sends: 10_000, bounces: 500, complaints: 9 }, T)).toMatchObject({
      metric: 'bounce',
    });
  });
  it('rates are fractions of sends', () => {
    const v = judgeReputation({ sends: 1000, bounces: 10, complaints: 1 }, T);
    expect(v.bounceRate).toBe(0.01);
    expect(v.complaintRate).toBe(0.001);
  });
});

describe('shards and windows', () => {
  it('a message id always lands on the same shard, and the shards are all used', () => {
    expect(shardOf('0100019a-abc')).toBe(shardOf('0100019a-abc'));
    const used = new Set(Array.from({ length: 400 }, (_, i) => shardOf(`msg-${i}`)));
    expect(used.size).toBe(8);
  });
  it('the window is the hour buckets ending now, newest first', () => {
    expect(hourBucket(new Date('2026-12-03T05:59:59Z'))).toBe('2026-12-03T05');
    expect(windowBuckets(new Date('2026-12-03T01:30:00Z'), 3)).toEqual([
      '2026-12-03T01',
      '2026-12-03T00',
      '2026-12-02T23',
    ]);
    expect(() => windowBuckets(new Date(), 0)).toThrow(/positive integer/);
  });
});

describe('alarm notification', () => {
  it('gives the alarm name and why; ignores OK transitions and other payloads', () => {
    const r = reasonFromAlarm({
      AlarmName: 'Prod-BounceRateAlarm',
      AlarmDescription: 'Guardrail: bounce rate passed 4 %',
      NewStateValue: 'ALARM',
      NewStateReason: 'Threshold Crossed: 1 datapoint [0.051] was greater than the threshold (0.04).',
    });
    expect(r?.alarmName).toBe('Prod-BounceRateAlarm');
    expect(r?.reason).toMatch(
      /^alarm Prod-BounceRateAlarm: Guardrail: bounce rate passed 4 % \(Threshold Crossed/,
    );
    expect(reasonFromAlarm({ AlarmName: 'x', NewStateValue: 'OK' })).toBeUndefined();
    expect(reasonFromAlarm('text')).toBeUndefined();
  });
});

describe('send capacity', () => {
  it('says when the expected sends exceed the daily quota left or the window', () => {
    expect(sendWindowHours({ start: '09:00', end: '11:30' })).toBe(2.5);
    const ok = checkSendCapacity({
      expectedSends: 1000,
      basis: 'previous_night',
      quota: { max24HourSend: 50_000, sentLast24Hours: 100 },
      maxSendRate: 14,
      window: { start: '09:00', end: '11:00' },
    });
    expect(ok.problems).toEqual([]);
    expect(ok.remainingQuota).toBe(49_900);
    const short = checkSendCapacity({
      expectedSends: 120_000,
      basis: 'previous_night',
      quota: { max24HourSend: 100_000, sentLast24Hours: 10_000 },
      maxSendRate: 14,
      window: { start: '09:00', end: '11:00' },
    });
    expect(short.problems).toHaveLength(2);
    expect(short.problems[0]).toMatch(/exceed the SES daily quota left \(90000\)/);
    expect(short.problems[1]).toMatch(/need 2\.4 h at 14\/s, longer than the 2 h send window/);
    const unknown = checkSendCapacity({
      expectedSends: 10,
      basis: 'none',
      maxSendRate: 14,
      window: { start: '09:00', end: '11:00' },
    });
    expect(unknown.remainingQuota).toBeNull();
    expect(unknown.problems).toEqual([]);
  });
});
