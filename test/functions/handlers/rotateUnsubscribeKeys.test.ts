import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CURRENT, MemorySecretVersions, PENDING } from '../../../functions/adapters/secretVersions.js';
import { parseKeyRing } from '../../../functions/adapters/unsubscribeKeys.js';
import {
  parseRotatingKeyRing,
  serializeRotatingKeyRing,
} from '../../../functions/domain/delivery/keyRotation.js';
import {
  signUnsubscribeToken,
  verifyUnsubscribeToken,
} from '../../../functions/domain/delivery/unsubscribeToken.js';
import { type RotationDeps, rotationStep } from '../../../functions/handlers/rotateUnsubscribeKeys.js';

// Secrets Manager has no local emulator here: the handler runs against the in-memory store that
// implements the same SecretVersions port (labels AWSCURRENT / AWSPENDING / AWSPREVIOUS as the
// service moves them).

const SECRET = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:UnsubscribeKeys-abc123';
const K1 = 'Abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKL';
const fresh = (n: number) => Buffer.alloc(32, n).toString('base64url');

let store: MemorySecretVersions;
let output: string[];

beforeEach(() => {
  store = new MemorySecretVersions(SECRET, {
    versionId: 'v0',
    text: JSON.stringify({ activeKeyId: 'k1', k1: K1 }),
  });
  output = [];
  // The Powertools logger writes JSON lines to stdout.
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output.push(String(chunk));
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

function deps(today: string, n: number): RotationDeps {
  return { versions: store, policy: { today, keepDays: 730 }, newSecret: () => fresh(n) };
}

/** What Secrets Manager does for one rotation: a pending version id, then the four steps. */
async function rotate(token: string, d: RotationDeps): Promise<void> {
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await rotationStep({ Step, SecretId: SECRET, ClientRequestToken: token }, d);
  }
}

/** Secrets Manager labels the new version id AWSPENDING before it calls createSecret. */
async function startRotation(token: string): Promise<void> {
  store.beginRotation(token);
}

describe('the unsubscribe key rotation function (Secrets Manager rotation steps)', () => {
  it('publishes a key on the first rotation and signs with it from the second, old links still verifying', async () => {
    const before = parseKeyRing(store.current());
    const oldLink = signUnsubscribeToken(before, { customerId: 'c1', issuedAt: '2027-01-01' });

    await startRotation('v1');
    await rotate('v1', deps('2027-01-02', 2));
    const firstText = store.current();
    const first = parseRotatingKeyRing(firstText);
    expect(first.activeKeyId).toBe('k1');
    expect(first.next).toBe('k2');
    expect(first.keys.k1).toBe(K1);
    expect((await store.describe(SECRET)).stages).toEqual({ v0: ['AWSPREVIOUS'], v1: [CURRENT] });

    await startRotation('v2');
    await rotate('v2', deps('2027-04-02', 3));
    const second = parseKeyRing(store.current());
    expect(second.activeKeyId).toBe('k2');
    expect(Object.keys(second.keys).sort()).toEqual(['k1', 'k2', 'k3']);
    const newLink = signUnsubscribeToken(second, { customerId: 'c2', issuedAt: '2027-04-02' });
    expect(verifyUnsubscribeToken(second, oldLink)).toMatchObject({ ok: true, keyId: 'k1' });
    expect(verifyUnsubscribeToken(second, newLink)).toMatchObject({ ok: true, keyId: 'k2' });
    // A reader that cached the ring from before this rotation already verifies the new link.
    expect(verifyUnsubscribeToken(parseKeyRing(firstText), newLink).ok).toBe(true);

    // Key ids in the logs, never key material.
    const logs = output.join('');
    expect(logs).toContain('"published":"k3"');
    for (const secret of [K1, fresh(2), fresh(3)]) expect(logs).not.toContain(secret);
  });

  it('is safe to retry: a second createSecret keeps the pending ring, a finished version is left alone', async () => {
    await startRotation('v1');
    const d = deps('2027-01-02', 2);
    await rotationStep({ Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 'v1' }, d);
    const pending = await store.get(SECRET, PENDING, 'v1');
    await rotationStep(
      { Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 'v1' },
      deps('2027-01-02', 9),
    );
    expect(await store.get(SECRET, PENDING, 'v1')).toBe(pending);
    await rotationStep({ Step: 'testSecret', SecretId: SECRET, ClientRequestToken: 'v1' }, d);
    await rotationStep({ Step: 'finishSecret', SecretId: SECRET, ClientRequestToken: 'v1' }, d);
    const current = store.current();
    await rotationStep({ Step: 'finishSecret', SecretId: SECRET, ClientRequestToken: 'v1' }, d);
    expect(store.current()).toBe(current);
  });

  it('stops before the switch when the pending ring would break sent links, and leaves AWSCURRENT as it was', async () => {
    await startRotation('v1');
    const d = deps('2027-01-02', 2);
    const current = store.current();
    // A pending ring without k1 (as a bad manual edit would store it).
    await store.putPending(
      SECRET,
      'v1',
      serializeRotatingKeyRing({ activeKeyId: 'k9', keys: { k9: fresh(9) }, retired: {} }),
    );
    await expect(
      rotationStep({ Step: 'testSecret', SecretId: SECRET, ClientRequestToken: 'v1' }, d),
    ).rejects.toThrow(/key k1 was dropped while links it signed may still be used/);
    expect(store.current()).toBe(current);
  });

  it('refuses to run when rotation is off, for an unknown version, or on a ring it cannot read', async () => {
    const d = deps('2027-01-02', 2);
    await expect(
      rotationStep({ Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 'nope' }, d),
    ).rejects.toThrow(/version nope of the secret does not exist/);
    store.rotationEnabled = false;
    await expect(
      rotationStep({ Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 'v1' }, d),
    ).rejects.toThrow(/rotation is not enabled/);
    store = new MemorySecretVersions(SECRET, { versionId: 'v0', text: '{"activeKeyId":"k1"}' });
    await startRotation('v1');
    await expect(
      rotationStep(
        { Step: 'createSecret', SecretId: SECRET, ClientRequestToken: 'v1' },
        deps('2027-01-02', 2),
      ),
    ).rejects.toThrow(/AWSCURRENT: key ring is empty/);
    expect(await store.get(SECRET, PENDING, 'v1')).toBeUndefined();
  });
});
