import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';

export const CURRENT = 'AWSCURRENT';
export const PENDING = 'AWSPENDING';

export interface SecretDescription {
  rotationEnabled: boolean;
  /** Version id → its staging labels. */
  stages: Record<string, string[]>;
}

/**
 * The part of Secrets Manager a rotation function uses: versions and their staging labels. On AWS
 * it is the service itself; tests and the local runtime (which keeps the ring in a file, with no
 * Secrets Manager emulator) use the in-memory store with the same behaviour.
 */
export interface SecretVersions {
  describe(secretId: string): Promise<SecretDescription>;
  /** The text of the version with this label (and id, when given); undefined when there is none. */
  get(secretId: string, stage: string, versionId?: string): Promise<string | undefined>;
  /** Stores a new version labelled AWSPENDING (idempotent for the same id and text). */
  putPending(secretId: string, versionId: string, text: string): Promise<void>;
  /** Moves AWSCURRENT to `versionId` (and AWSPREVIOUS to the old current, as the service does). */
  makeCurrent(secretId: string, versionId: string, fromVersionId: string | undefined): Promise<void>;
}

export class SecretsManagerVersions implements SecretVersions {
  constructor(private readonly client: SecretsManagerClient) {}

  async describe(secretId: string): Promise<SecretDescription> {
    const out = await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    return { rotationEnabled: out.RotationEnabled === true, stages: out.VersionIdsToStages ?? {} };
  }

  async get(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage, VersionId: versionId }),
      );
      return out.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  async putPending(secretId: string, versionId: string, text: string): Promise<void> {
    await this.client.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: text,
        VersionStages: [PENDING],
      }),
    );
  }

  async makeCurrent(secretId: string, versionId: string, fromVersionId: string | undefined): Promise<void> {
    await this.client.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: CURRENT,
        MoveToVersionId: versionId,
        RemoveFromVersionId: fromVersionId,
      }),
    );
  }
}

/** Secrets Manager's version bookkeeping in memory: for tests and the local key file. */
export class MemorySecretVersions implements SecretVersions {
  /** Version id → text (undefined: labelled by the service, value not stored yet) and labels. */
  private readonly versions = new Map<string, { text: string | undefined; stages: Set<string> }>();
  rotationEnabled = true;

  constructor(
    private readonly secretId: string,
    initial: { versionId: string; text: string },
  ) {
    this.versions.set(initial.versionId, { text: initial.text, stages: new Set([CURRENT]) });
  }

  private check(secretId: string): void {
    if (secretId !== this.secretId) throw new Error(`secret ${secretId} not found`);
  }

  /**
   * What RotateSecret does before it calls the function: a new version id labelled AWSPENDING,
   * without a value (createSecret stores it).
   */
  beginRotation(versionId: string): void {
    for (const v of this.versions.values()) v.stages.delete(PENDING);
    this.versions.set(versionId, { text: undefined, stages: new Set([PENDING]) });
  }

  /** The text labelled AWSCURRENT. */
  current(): string {
    for (const v of this.versions.values()) if (v.stages.has(CURRENT) && v.text !== undefined) return v.text;
    throw new Error('no AWSCURRENT version');
  }

  async describe(secretId: string): Promise<SecretDescription> {
    this.check(secretId);
    const stages: Record<string, string[]> = {};
    for (const [id, v] of this.versions) if (v.stages.size > 0) stages[id] = [...v.stages];
    return { rotationEnabled: this.rotationEnabled, stages };
  }

  async get(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    this.check(secretId);
    for (const [id, v] of this.versions) {
      if (v.stages.has(stage) && (versionId === undefined || versionId === id)) return v.text;
    }
    return undefined;
  }

  async putPending(secretId: string, versionId: string, text: string): Promise<void> {
    this.check(secretId);
    const existing = this.versions.get(versionId);
    // The service refuses a second, different value for the same client request token.
    if (existing?.text !== undefined && existing.text !== text) {
      throw new Error(`version ${versionId} exists with other text`);
    }
    for (const v of this.versions.values()) v.stages.delete(PENDING);
    this.versions.set(versionId, { text, stages: new Set([...(existing?.stages ?? []), PENDING]) });
  }

  async makeCurrent(secretId: string, versionId: string, fromVersionId: string | undefined): Promise<void> {
    this.check(secretId);
    const target = this.versions.get(versionId);
    if (!target) throw new Error(`version ${versionId} not found`);
    const from = fromVersionId === undefined ? undefined : this.versions.get(fromVersionId);
    if (fromVersionId !== undefined && !from?.stages.has(CURRENT)) {
      throw new Error(`version ${fromVersionId} is not AWSCURRENT`);
    }
    for (const v of this.versions.values()) v.stages.delete('AWSPREVIOUS');
    if (from) {
      from.stages.delete(CURRENT);
      from.stages.add('AWSPREVIOUS');
    }
    target.stages.add(CURRENT);
    // The service drops AWSPENDING once the rotation made the version current.
    target.stages.delete(PENDING);
  }
}
