import { randomBytes } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { CURRENT, PENDING, SecretsManagerVersions, type SecretVersions } from '../adapters/secretVersions.js';
import { loadRotationConfig } from '../config.js';
import {
  parseRotatingKeyRing,
  type RotationPolicy,
  rotateKeyRing,
  rotationProblems,
  serializeRotatingKeyRing,
} from '../domain/delivery/keyRotation.js';
import { todayUtc } from '../domain/night/dates.js';
import { logger } from './deps.js';
import { metrics, tracer } from './observability.js';

/** What Secrets Manager sends a rotation function, once per step. */
export const RotationEvent = z.object({
  Step: z.enum(['createSecret', 'setSecret', 'testSecret', 'finishSecret']),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
});
export type RotationEvent = z.infer<typeof RotationEvent>;

export interface RotationDeps {
  versions: SecretVersions;
  policy: RotationPolicy;
  /** A fresh key: 32 random bytes, base64url. A parameter so that tests can name it. */
  newSecret: () => string;
}

/**
 * One step of Secrets Manager's rotation protocol for the unsubscribe key ring:
 * - createSecret: the rotated ring (domain/delivery/keyRotation.ts) stored as AWSPENDING;
 * - setSecret: nothing (no other system holds the keys: signers and verifiers read the secret);
 * - testSecret: the pending ring signs and verifies, and keeps every key whose links may live;
 * - finishSecret: AWSCURRENT moves to the pending version.
 * Every step may be retried: each checks what is stored before it writes. Logs name key ids only.
 */
export async function rotationStep(event: RotationEvent, d: RotationDeps): Promise<void> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  const described = await d.versions.describe(secretId);
  if (!described.rotationEnabled) throw new Error(`rotation: ${secretId}: rotation is not enabled`);
  const stages = described.stages[token];
  if (!stages) throw new Error(`rotation: version ${token} of the secret does not exist`);
  if (stages.includes(CURRENT)) {
    logger.info('rotation step: version already current', { step, version: token });
    return;
  }
  if (!stages.includes(PENDING)) throw new Error(`rotation: version ${token} is not AWSPENDING`);

  const currentText = await d.versions.get(secretId, CURRENT);
  if (currentText === undefined) throw new Error('rotation: the secret has no AWSCURRENT version');
  const current = parseRotatingKeyRing(currentText, 'rotation: AWSCURRENT');

  if (step === 'createSecret') {
    if ((await d.versions.get(secretId, PENDING, token)) !== undefined) {
      logger.info('rotation step: pending ring already stored', { step, version: token });
      return;
    }
    const result = rotateKeyRing(current, d.policy, d.newSecret());
    await d.versions.putPending(secretId, token, serializeRotatingKeyRing(result.ring));
    logger.info('rotation: new key ring pending', {
      version: token,
      active: result.ring.activeKeyId,
      activated: result.activated,
      published: result.published,
      dropped: result.dropped,
      keys: Object.keys(result.ring.keys),
    });
    return;
  }
  if (step === 'setSecret') return;

  const pendingText = await d.versions.get(secretId, PENDING, token);
  if (pendingText === undefined) throw new Error(`rotation: version ${token} has no AWSPENDING value`);
  const pending = parseRotatingKeyRing(pendingText, 'rotation: AWSPENDING');
  if (step === 'testSecret') {
    const problems = rotationProblems(current, pending, d.policy);
    if (problems.length > 0) throw new Error(`rotation: the pending key ring ${problems.join('; ')}`);
    return;
  }
  const currentVersion = Object.entries(described.stages).find(([, s]) => s.includes(CURRENT))?.[0];
  await d.versions.makeCurrent(secretId, token, currentVersion);
  logger.info('rotation: key ring rotated', {
    version: token,
    previous: currentVersion,
    active: pending.activeKeyId,
    next: pending.next,
  });
}

const client = new SecretsManagerClient({});

async function rotate(event: unknown, _context: Context): Promise<void> {
  const config = loadRotationConfig(process.env);
  await rotationStep(RotationEvent.parse(event), {
    versions: new SecretsManagerVersions(client),
    policy: {
      today: todayUtc(new Date()),
      // The longest a link lives: a preference link's age limit or an unsubscribe link's lifetime.
      keepDays: Math.max(config.PREFERENCE_LINK_MAX_AGE_DAYS, config.UNSUBSCRIBE_LINK_LIFETIME_DAYS),
    },
    newSecret: () => randomBytes(32).toString('base64url'),
  });
}

export const handler = middy(rotate)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics));
