import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { HandlerFunction } from './handlerFunction.js';
import { acknowledgeWildcards } from './nag.js';

/** Days between scheduled rotations of the unsubscribe key ring. */
export const UNSUBSCRIBE_KEY_ROTATION_DAYS = 90;

export interface UnsubscribeKeysProps {
  /** The link lifetimes the rotation keeps old keys for (PREFERENCE_LINK_MAX_AGE_DAYS, UNSUBSCRIBE_LINK_LIFETIME_DAYS). */
  environment?: Record<string, string>;
  rotationDays?: number;
  logRetention?: RetentionDays;
}

/**
 * The HMAC key ring that signs unsubscribe and preference links, in Secrets Manager, and its
 * scheduled rotation: every `rotationDays` a Lambda promotes the key published last time, publishes
 * a new one and drops the keys whose links have all outlived their lifetime (docs/operations.md,
 * "Unsubscribe key rotation").
 */
export class UnsubscribeKeys extends Construct {
  readonly secret: Secret;
  readonly rotationFunction: HandlerFunction;

  constructor(scope: Construct, id: string, props: UnsubscribeKeysProps = {}) {
    super(scope, id);
    // Id "Default": the secret keeps the logical id it had as a direct child of the stack. A new
    // logical id would replace the secret, and with it every key that signed the links already sent.
    this.secret = new Secret(this, 'Default', {
      description: 'HMAC key ring for unsubscribe tokens: {"activeKeyId": "k1", "k1": "<secret>"}',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ activeKeyId: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 48,
        excludePunctuation: true,
      },
    });
    this.rotationFunction = new HandlerFunction(this, 'RotationFunction', {
      handlerName: 'rotateUnsubscribeKeys',
      description: 'Rotates the unsubscribe HMAC key ring (Secrets Manager rotation steps)',
      timeout: Duration.seconds(30),
      memorySize: 256,
      environment: props.environment,
      logRetention: props.logRetention,
    });
    this.secret.addRotationSchedule('Rotation', {
      rotationLambda: this.rotationFunction,
      automaticallyAfter: Duration.days(props.rotationDays ?? UNSUBSCRIBE_KEY_ROTATION_DAYS),
    });
    acknowledgeWildcards(this.rotationFunction.role!, {
      actions: ['secretsmanager:GetRandomPassword'],
      resource: /^\*$/,
      reason:
        'CDK grants GetRandomPassword to every rotation function; it has no resource type (Resource "*") and returns random bytes, no secret. The rotation makes its keys with node:crypto and never calls it',
    });
  }
}
