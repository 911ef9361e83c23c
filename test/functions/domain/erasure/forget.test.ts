import { describe, expect, it } from 'vitest';
import {
  erasedEmailHash,
  type ForgetPorts,
  forgetCustomer,
} from '../../../../functions/domain/erasure/forget.js';

// The order of an erasure, with in-memory ports: protection first, the profile last, the marker
// after it; a resumed erasure (profile already gone) still finishes the other stores.

function world(state: { email?: string; ledger: number; forgotten?: string }) {
  const calls: string[] = [];
  const ports: ForgetPorts = {
    findEmail: async () => state.email,
    forgottenAt: async () => state.forgotten,
    suppressErased: async (_id, hash) => {
      calls.push(`suppress:${hash ? 'hash' : 'id'}`);
    },
    erasers: [
      {
        store: 'ledger',
        erase: async () => {
          calls.push('ledger');
          const n = state.ledger;
          state.ledger = 0;
          return n;
        },
      },
      {
        store: 'parked',
        needsEmail: true,
        erase: async () => {
          calls.push('parked');
          return 0;
        },
      },
    ],
    profile: {
      store: 'customers',
      erase: async () => {
        calls.push('profile');
        delete state.email;
        return 1;
      },
    },
    markForgotten: async (_id, now) => {
      calls.push('marker');
      state.forgotten = now.toISOString();
    },
  };
  return { ports, calls };
}

const opts = { salt: 'salt-of-test', now: new Date('2026-12-01T00:00:00Z') };

describe('forgetCustomer', () => {
  it('suppresses the hashed address first, deletes the profile last, then marks the id', async () => {
    const { ports, calls } = world({ email: 'A@x.org', ledger: 3 });
    const result = await forgetCustomer(ports, 'C1', opts);
    expect(result).toEqual({
      status: 'forgotten',
      customerId: 'C1',
      erased: { ledger: 3, parked: 0, customers: 1 },
    });
    expect(calls).toEqual(['suppress:hash', 'ledger', 'parked', 'profile', 'marker']);
  });

  it('a repeat says when; an unknown id changes nothing', async () => {
    const state = { email: 'a@x.org', ledger: 1 };
    const { ports } = world(state);
    await forgetCustomer(ports, 'C1', opts);
    expect(await forgetCustomer(ports, 'C1', opts)).toEqual({
      status: 'already_forgotten',
      customerId: 'C1',
      at: '2026-12-01T00:00:00.000Z',
    });
    const empty = world({ ledger: 0 });
    expect(await forgetCustomer(empty.ports, 'nobody', opts)).toEqual({
      status: 'unknown',
      customerId: 'nobody',
    });
    expect(empty.calls).toEqual(['ledger']);
    await expect(forgetCustomer(empty.ports, ' ', opts)).rejects.toThrow(/customer id is empty/);
  });

  it('finishes an erasure that crashed after the profile was deleted', async () => {
    const { ports, calls } = world({ ledger: 2 });
    const result = await forgetCustomer(ports, 'C1', opts);
    expect(result.status).toBe('forgotten');
    expect(calls).toEqual(['ledger', 'suppress:id', 'marker']);
  });

  it('hashes the normalised address with the salt', () => {
    expect(erasedEmailHash(' A@X.org ', 's1')).toBe(erasedEmailHash('a@x.org', 's1'));
    expect(erasedEmailHash('a@x.org', 's1')).not.toBe(erasedEmailHash('a@x.org', 's2'));
    expect(erasedEmailHash('a@x.org', 's1')).toMatch(/^[0-9a-f]{64}$/);
  });
});
