import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { describeKeyRing, rotateLocalKeyFile } from '../../cli/local/keys.js';
import { loadUnsubscribeKeys } from '../../functions/adapters/unsubscribeKeys.js';
import {
  signUnsubscribeToken,
  verifyUnsubscribeToken,
} from '../../functions/domain/delivery/unsubscribeToken.js';

const run = promisify(execFile);
const secret = (n: number) => Buffer.alloc(32, n).toString('base64url');
let home: string;

afterEach(() => rmSync(home, { recursive: true, force: true }));

/** The key file as the local runtime creates it (cli/local/services.ts). */
function localRing(): string {
  home = mkdtempSync(join(tmpdir(), 'retention-keys-'));
  const file = join(home, 'unsubscribe-keys.json');
  writeFileSync(file, `${JSON.stringify({ activeKeyId: 'local1', local1: secret(1) }, null, 2)}\n`, {
    mode: 0o600,
  });
  return file;
}

describe('retention keys: the local key file rotates through the rotation function steps', () => {
  it('publishes, then promotes; links signed before keep verifying through the local loader', async () => {
    const file = localRing();
    const ring0 = await loadUnsubscribeKeys({
      UNSUBSCRIBE_KEYS_FILE: file,
      UNSUBSCRIBE_KEYS_SECRET: undefined,
    });
    const old = signUnsubscribeToken(ring0, { customerId: 'c1', issuedAt: '2027-01-01' });

    const first = await rotateLocalKeyFile(file, { today: '2027-01-02', keepDays: 730 }, () => secret(2));
    expect([first.after.activeKeyId, first.after.next]).toEqual(['local1', 'k1']);
    const second = await rotateLocalKeyFile(file, { today: '2027-04-02', keepDays: 730 }, () => secret(3));
    expect([second.after.activeKeyId, second.after.next]).toEqual(['k1', 'k2']);
    expect(describeKeyRing(second.after)).toEqual([
      { id: 'k1', state: 'active (signs)' },
      { id: 'k2', state: 'published (signs after the next rotation)' },
      { id: 'local1', state: 'retired 2027-04-02 (verifies)' },
    ]);

    const ring = await loadUnsubscribeKeys({
      UNSUBSCRIBE_KEYS_FILE: file,
      UNSUBSCRIBE_KEYS_SECRET: undefined,
    });
    expect(ring.activeKeyId).toBe('k1');
    expect(verifyUnsubscribeToken(ring, old)).toMatchObject({ ok: true, keyId: 'local1' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('`retention keys rotate` and `keys list` on RETENTION_HOME print key ids, never key material', async () => {
    const file = localRing();
    const env = { ...process.env, RETENTION_HOME: home, NPM_CONFIG_UPDATE_NOTIFIER: 'false' };
    const rotated = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'keys', 'rotate'], {
      env,
    });
    expect(rotated.stdout).toMatch(/local1 signs, k1 published; links stay valid 730 days/);
    const listed = await run(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'keys', 'list'], { env });
    expect(listed.stdout).toBe('k1\tpublished (signs after the next rotation)\nlocal1\tactive (signs)\n');
    const ring = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const out of [rotated.stdout, listed.stdout]) {
      expect(out).not.toContain(String(ring.local1));
      expect(out).not.toContain(String(ring.k1));
    }
  });

  it('says where and why when there is no key file or it is not a ring', async () => {
    home = mkdtempSync(join(tmpdir(), 'retention-keys-'));
    const file = join(home, 'unsubscribe-keys.json');
    await expect(rotateLocalKeyFile(file, { today: '2027-01-02', keepDays: 730 })).rejects.toThrow(
      /unsubscribe-keys\.json: no local key ring yet/,
    );
    writeFileSync(file, '{"activeKeyId": "k1"}');
    await expect(rotateLocalKeyFile(file, { today: '2027-01-02', keepDays: 730 })).rejects.toThrow(
      /unsubscribe-keys\.json: key ring is empty/,
    );
    expect(readFileSync(file, 'utf8')).toBe('{"activeKeyId": "k1"}');
  });
});
