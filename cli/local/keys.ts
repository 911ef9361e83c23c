import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { MemorySecretVersions } from '../../functions/adapters/secretVersions.js';
import { parseRotatingKeyRing, type RotatingKeyRing } from '../../functions/domain/delivery/keyRotation.js';
import { rotationStep } from '../../functions/handlers/rotateUnsubscribeKeys.js';

const LOCAL_SECRET = 'local-unsubscribe-keys';

export interface LocalRotation {
  before: RotatingKeyRing;
  after: RotatingKeyRing;
}

/**
 * One rotation of the local key file, through the same four steps as the Secrets Manager rotation
 * function (an in-memory store stands in for the service, which is not emulated locally). The file
 * is replaced in one rename, so a reader never sees half a ring.
 */
export async function rotateLocalKeyFile(
  file: string,
  policy: { today: string; keepDays: number },
  newSecret: () => string = () => randomBytes(32).toString('base64url'),
): Promise<LocalRotation> {
  if (!existsSync(file)) {
    throw new Error(`${file}: no local key ring yet (\`retention run\` or \`retention serve\` creates it)`);
  }
  const text = readFileSync(file, 'utf8');
  const before = parseRotatingKeyRing(text, file);
  const versions = new MemorySecretVersions(LOCAL_SECRET, { versionId: 'current', text });
  const token = randomUUID();
  versions.beginRotation(token);
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await rotationStep(
      { Step, SecretId: LOCAL_SECRET, ClientRequestToken: token },
      { versions, policy, newSecret },
    );
  }
  const rotated = versions.current();
  const after = parseRotatingKeyRing(rotated, file);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(JSON.parse(rotated), null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return { before, after };
}

/** Key ids and their state, never the secrets. */
export function describeKeyRing(ring: RotatingKeyRing): { id: string; state: string }[] {
  return Object.keys(ring.keys).map((id) => ({
    id,
    state:
      id === ring.activeKeyId
        ? 'active (signs)'
        : id === ring.next
          ? 'published (signs after the next rotation)'
          : `retired ${ring.retired[id] ?? '(day unknown)'} (verifies)`,
  }));
}
