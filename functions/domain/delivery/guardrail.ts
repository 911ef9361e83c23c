/**
 * The reputation guardrail: bounce and complaint rates over a rolling window, judged against
 * thresholds only once the window holds enough sends to mean something, and the sharding of the
 * counters that feed it. Pure: the adapters store the counters and the kill switch.
 */

/** Counter items per hour (and per campaign for the statistics): one hot item becomes this many. */
export const COUNTER_SHARDS = 8;

/** FNV-1a 32-bit: a stable shard for an id (the same message always lands on the same shard). */
export function shardOf(id: string, shards = COUNTER_SHARDS): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % shards;
}

/** The hour bucket (`YYYY-MM-DDTHH`, UTC) an instant falls in. */
export function hourBucket(at: Date): string {
  return at.toISOString().slice(0, 13);
}

/** The `hours` hour buckets ending with the one `now` is in, newest first. */
export function windowBuckets(now: Date, hours: number): string[] {
  if (!Number.isInteger(hours) || hours < 1)
    throw new Error(`window hours must be a positive integer, got ${hours}`);
  return Array.from({ length: hours }, (_, i) => hourBucket(new Date(now.getTime() - i * 3_600_000)));
}

export interface ReputationTotals {
  sends: number;
  /** Hard (permanent) bounces: what SES's bounce rate counts. */
  bounces: number;
  complaints: number;
}

export interface GuardrailThresholds {
  /** Fraction, e.g. 0.04. */
  bounceRate: number;
  /** Fraction, e.g. 0.0008. */
  complaintRate: number;
  /** Sends in the window below which no rate is judged. */
  minSends: number;
}

export type GuardrailVerdict =
  | { trip: false; why: 'too_few_sends' | 'within_limits'; bounceRate: number; complaintRate: number }
  | { trip: true; metric: 'bounce' | 'complaint'; reason: string; bounceRate: number; complaintRate: number };

const pct = (x: number, digits: number) => `${(x * 100).toFixed(digits)} %`;

/**
 * Rates are bounces / sends and complaints / sends in the window. Below `minSends` sends a couple of
 * bounces would look like a disaster (2 of 20 is 10 %), so nothing trips. A rate strictly above its
 * threshold trips; the bounce rate is judged first (it names the worse problem for SES).
 */
export function judgeReputation(totals: ReputationTotals, t: GuardrailThresholds): GuardrailVerdict {
  const sends = Math.max(0, totals.sends);
  const bounceRate = sends > 0 ? totals.bounces / sends : 0;
  const complaintRate = sends > 0 ? totals.complaints / sends : 0;
  if (sends < t.minSends) return { trip: false, why: 'too_few_sends', bounceRate, complaintRate };
  const of = `(${sends} sends in the window)`;
  if (bounceRate > t.bounceRate) {
    return {
      trip: true,
      metric: 'bounce',
      reason: `bounce rate ${pct(bounceRate, 2)} passed ${pct(t.bounceRate, 2)}: ${totals.bounces} hard bounces ${of}`,
      bounceRate,
      complaintRate,
    };
  }
  if (complaintRate > t.complaintRate) {
    return {
      trip: true,
      metric: 'complaint',
      reason: `complaint rate ${pct(complaintRate, 3)} passed ${pct(t.complaintRate, 3)}: ${totals.complaints} complaints ${of}`,
      bounceRate,
      complaintRate,
    };
  }
  return { trip: false, why: 'within_limits', bounceRate, complaintRate };
}

/** The kill switch: one item that every send group reads first. */
export interface SendingSwitch {
  state: 'active' | 'paused';
  reason?: string | undefined;
  /** Who set it: `guardrail:sesEvents`, `guardrail:alarm:<name>`, `cli:<user>`. */
  setBy?: string | undefined;
  /** ISO time it was last set. */
  at?: string | undefined;
}

/** A CloudWatch alarm notification (SNS message body) turned into a kill-switch reason. */
export function reasonFromAlarm(message: unknown): { alarmName: string; reason: string } | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const m = message as Record<string, unknown>;
  const name = m.AlarmName;
  const state = m.NewStateValue;
  if (typeof name !== 'string' || state !== 'ALARM') return undefined;
  const description = typeof m.AlarmDescription === 'string' ? m.AlarmDescription : '';
  const why = typeof m.NewStateReason === 'string' ? m.NewStateReason : '';
  return {
    alarmName: name,
    reason: `alarm ${name}: ${description}${why ? ` (${why})` : ''}`.slice(0, 500),
  };
}
