import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdNight, type NightHolder } from '../../cli/local/nightLock.js';
import type { LocalSession } from '../../cli/local/session.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { openTestSession } from '../support/localWorld.js';

// The local stand-in for the execution name, on dynalite: one holder per night; a second waits
// until the first releases; a holder whose process is gone is taken over. Sleeps are injected.

describe('holdNight', () => {
  let session: LocalSession;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ session, close } = await openTestSession('night-lock'));
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  const lock = (runDate: string, extra: Partial<Parameters<typeof holdNight>[0]> = {}) =>
    holdNight({ db: documentClient(), table: session.tables.config, runDate, ...extra });

  it('a second holder of the same night waits for the first; another night does not', async () => {
    const first = await lock('2026-11-20');
    await (await lock('2026-11-21')).release();
    const waited: NightHolder[] = [];
    let polls = 0;
    const second = await lock('2026-11-20', {
      alive: () => true,
      onWait: (h) => waited.push(h),
      sleep: async () => {
        polls++;
        if (polls === 3) await first.release();
      },
    });
    expect(waited).toHaveLength(1);
    expect(waited[0]?.pid).toBe(process.pid);
    expect(polls).toBe(3);
    await second.release();
  });

  it('takes over a holder whose process is gone, and gives up waiting on a live one with its name', async () => {
    await lock('2026-11-22', { command: 'retention run (crashed)' });
    // Same pid here, so "gone" is what the injected check says.
    const taken = await lock('2026-11-22', { alive: () => false });
    let t = 0;
    await expect(
      lock('2026-11-22', {
        alive: () => true,
        timeoutMs: 1000,
        now: () => (t += 600),
        sleep: async () => undefined,
      }),
    ).rejects.toThrow(
      /the night of 2026-11-22 is still being run by pid \d+ \(retention run --date 2026-11-22, started /,
    );
    await taken.release();
  });
});
