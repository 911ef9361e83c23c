import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SLUG_RE } from '../../../../functions/domain/campaigns/schema.js';
import {
  CREATED_STATUSES,
  canTransition,
  type EvidenceOutcome,
  entriesToSettle,
  isFinal,
  isLegacyClaim,
  isPending,
  LEDGER_STATUSES,
  LEDGER_TRANSITIONS,
  type LedgerStatus,
  ledgerKey,
  outcomeFromEvidence,
  PENDING_STATUSES,
  runShard,
} from '../../../../functions/domain/delivery/ledger.js';
import type { NormalizedSesEventType } from '../../../../functions/domain/delivery/sesEvents.js';

// Written out here, not derived from the module: the documented state machine (docs/delivery.md).
const EXPECTED_EDGES = [
  'queued->sent',
  'queued->failed',
  'queued->skipped',
  'queued->ambiguous',
  'claimed->ambiguous',
  'ambiguous->sent',
  'ambiguous->failed',
];

const ALL: readonly LedgerStatus[] = [
  'queued',
  'claimed',
  'sent',
  'failed',
  'ambiguous',
  'held_out',
  'global_control',
  'skipped',
];

const statusArb = fc.constantFrom(...ALL);

describe('statuses', () => {
  it('lists every status once', () => {
    expect([...LEDGER_STATUSES].sort()).toEqual([...ALL].sort());
  });

  it('pending = no outcome stored yet: queued and the legacy claimed', () => {
    expect([...PENDING_STATUSES].sort()).toEqual(['claimed', 'queued']);
    for (const s of ALL) expect(isPending(s)).toBe(s === 'queued' || s === 'claimed');
    for (const s of [undefined, '', 'QUEUED', 'pending']) expect(isPending(s)).toBe(false);
  });

  it('final = no way out: sent, failed, skipped, held_out, global_control', () => {
    expect(ALL.filter(isFinal).sort()).toEqual(['failed', 'global_control', 'held_out', 'sent', 'skipped']);
    for (const s of ALL) expect(isFinal(s)).toBe(ALL.every((to) => !canTransition(s, to)));
  });

  it('pending and final never overlap; ambiguous is neither', () => {
    for (const s of ALL) expect(isPending(s) && isFinal(s)).toBe(false);
    expect(isPending('ambiguous')).toBe(false);
    expect(isFinal('ambiguous')).toBe(false);
  });

  it('only claimed is a legacy claim', () => {
    for (const s of ALL) expect(isLegacyClaim(s)).toBe(s === 'claimed');
  });

  it('the score stage creates queued, held_out and global_control; the rest is reached by transitions (claimed is legacy)', () => {
    const reached = new Set<LedgerStatus>(CREATED_STATUSES);
    for (let grew = true; grew; ) {
      grew = false;
      for (const from of [...reached])
        for (const to of LEDGER_TRANSITIONS[from])
          if (!reached.has(to)) {
            reached.add(to);
            grew = true;
          }
    }
    expect(ALL.filter((s) => !reached.has(s))).toEqual(['claimed']);
  });
});

describe('transition table', () => {
  it('allows exactly the documented transitions (every pair)', () => {
    for (const from of ALL) {
      for (const to of ALL) {
        expect(canTransition(from, to), `${from}->${to}`).toBe(EXPECTED_EDGES.includes(`${from}->${to}`));
      }
    }
  });

  it('has no self-transitions', () => {
    for (const s of ALL) expect(canTransition(s, s)).toBe(false);
  });

  it('nothing ever goes back to queued', () => {
    for (const from of ALL) expect(canTransition(from, 'queued')).toBe(false);
  });

  it('nothing goes to claimed or to a created-only status', () => {
    for (const from of ALL) {
      for (const to of ['claimed', 'held_out', 'global_control'] as const)
        expect(canTransition(from, to)).toBe(false);
    }
  });

  it('ambiguous leaves only to sent or failed (evidence), never to a status that could send again', () => {
    expect(ALL.filter((to) => canTransition('ambiguous', to)).sort()).toEqual(['failed', 'sent']);
  });

  it('the legacy claimed is only ever settled as ambiguous', () => {
    expect(ALL.filter((to) => canTransition('claimed', to))).toEqual(['ambiguous']);
  });

  it('any walk of allowed transitions: never revisits queued or a pending status, ends final within 2 steps', () => {
    fc.assert(
      fc.property(statusArb, fc.array(fc.nat(), { maxLength: 6 }), (start, picks) => {
        let s = start;
        let steps = 0;
        for (const pick of picks) {
          const next = LEDGER_TRANSITIONS[s] as readonly LedgerStatus[];
          if (next.length === 0) break;
          const to = next[pick % next.length]!;
          expect(canTransition(s, to)).toBe(true);
          expect(isPending(to)).toBe(false);
          s = to;
          steps += 1;
        }
        expect(steps).toBeLessThanOrEqual(2);
        if (steps === 2) expect(isFinal(s)).toBe(true);
      }),
    );
  });
});

describe('outcomeFromEvidence', () => {
  it('settles an ambiguous entry as failed on Reject / Rendering Failure, as sent on anything else', () => {
    const expected: Record<NormalizedSesEventType, EvidenceOutcome> = {
      send: 'sent',
      delivery: 'sent',
      bounce: 'sent',
      complaint: 'sent',
      open: 'sent',
      click: 'sent',
      delivery_delay: 'sent',
      subscription: 'sent',
      reject: 'failed',
      rendering_failure: 'failed',
    };
    for (const [type, outcome] of Object.entries(expected)) {
      expect(outcomeFromEvidence(type as NormalizedSesEventType), type).toBe(outcome);
      expect(canTransition('ambiguous', outcome)).toBe(true);
    }
  });
});

describe('entriesToSettle', () => {
  it('picks exactly the pending entries of an abandoned intent, in order, the same objects', () => {
    fc.assert(
      fc.property(fc.array(statusArb, { maxLength: 30 }), (statuses) => {
        const entries = statuses.map((status, i) => ({ sendKey: `k${i}`, status }));
        const settled = entriesToSettle(entries);
        expect(settled).toEqual(entries.filter((e) => e.status === 'queued' || e.status === 'claimed'));
        for (const e of settled) {
          expect(entries).toContain(e);
          // Every settled entry may legally become ambiguous.
          expect(canTransition(e.status, 'ambiguous')).toBe(true);
        }
      }),
    );
  });

  it('takes any iterable (the Map values getMany returns)', () => {
    const map = new Map<string, { status: LedgerStatus }>([
      ['a', { status: 'sent' }],
      ['b', { status: 'queued' }],
      ['c', { status: 'ambiguous' }],
      ['d', { status: 'claimed' }],
    ]);
    expect(entriesToSettle(map.values())).toEqual([{ status: 'queued' }, { status: 'claimed' }]);
    expect(entriesToSettle([])).toEqual([]);
  });
});

describe('ledgerKey and runShard', () => {
  it('have the stored formats', () => {
    expect(ledgerKey('2026-11-20', 'winback-30', 'C000123')).toBe('2026-11-20#winback-30#C000123');
    expect(runShard('2026-11-20', 3)).toBe('2026-11-20#3');
    // A queued email's shard carries its wave, so a wave's send segment pages only its own entries.
    expect(runShard('2026-11-20', 3, '2026-11-20T14:00Z/2026-11-20T16:00Z')).toBe(
      '2026-11-20#2026-11-20T14:00Z/2026-11-20T16:00Z#3',
    );
  });

  it('campaign ids are slugs, so they cannot contain #', () => {
    expect(SLUG_RE.test('winback-30')).toBe(true);
    expect(SLUG_RE.test('a#b')).toBe(false);
  });

  const day = fc
    .date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2099-12-31T00:00:00Z'),
      noInvalidDate: true,
    })
    .map((d) => d.toISOString().slice(0, 10));
  const campaignId = fc.stringMatching(SLUG_RE).filter((s) => s.length <= 64);
  // Customer ids may hold anything, `#` included.
  const customerId = fc.oneof(
    fc.string({ minLength: 1, maxLength: 12 }),
    fc.constantFrom('#', 'a#b', '#x#', 'C1#winback'),
  );

  it('reads back unambiguously: split at the first two #', () => {
    fc.assert(
      fc.property(day, campaignId, customerId, (r, c, u) => {
        const key = ledgerKey(r, c, u);
        const first = key.indexOf('#');
        const second = key.indexOf('#', first + 1);
        expect([key.slice(0, first), key.slice(first + 1, second), key.slice(second + 1)]).toEqual([r, c, u]);
      }),
    );
  });

  it('is injective for slug campaign ids and any customer ids (property)', () => {
    fc.assert(
      fc.property(day, campaignId, customerId, day, campaignId, customerId, (r1, c1, u1, r2, c2, u2) => {
        fc.pre(r1 !== r2 || c1 !== c2 || u1 !== u2);
        expect(ledgerKey(r1, c1, u1)).not.toBe(ledgerKey(r2, c2, u2));
      }),
    );
    // The same customer id with a # in it against neighbouring campaigns.
    expect(ledgerKey('2026-11-20', 'a', 'b#c')).not.toBe(ledgerKey('2026-11-20', 'a-b', 'c'));
  });
});
