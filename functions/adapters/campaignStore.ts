import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed, type TableNames } from './tableNames.js';

/** An immutable, self-contained campaign version: the file as uploaded plus the templates it references. */
export interface CampaignVersion {
  campaignId: string;
  version: number;
  fileName: string;
  source: string;
  templates: Record<string, string>;
  /** The HTML (and text) each MJML segment compiled to at push time, by segment id: the night only runs Liquid. */
  compiled?: Record<string, { html: string; text: string }> | undefined;
  sha256: string;
  createdAt: string;
  createdBy: string;
}

export interface CampaignHead {
  campaignId: string;
  name: string;
  latestVersion: number;
  latestSha256: string;
  /** The version the nightly run uses; undefined until one is activated. */
  activeVersion?: number;
  /** Operator override on top of the file's own status. */
  paused: boolean;
  updatedAt: string;
}

const INDEX_PK = 'CAMPAIGNS';
const versionSk = (v: number) => `V#${String(v).padStart(6, '0')}`;

export function campaignSha(source: string, templates: Record<string, string>): string {
  const h = createHash('sha256').update(source);
  for (const key of Object.keys(templates).sort()) h.update(`\0${key}\0${templates[key]}`);
  return h.digest('hex');
}

export class CampaignStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  async heads(): Promise<CampaignHead[]> {
    const heads: CampaignHead[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tables.config,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': INDEX_PK },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        const { pk: _pk, sk: _sk, ...head } = item;
        heads.push(head as CampaignHead);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return heads;
  }

  async head(campaignId: string): Promise<CampaignHead | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.config,
        Key: { pk: INDEX_PK, sk: campaignId },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, ...head } = out.Item;
    return head as CampaignHead;
  }

  async version(campaignId: string, version: number): Promise<CampaignVersion | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.config,
        Key: { pk: `CAMPAIGN#${campaignId}`, sk: versionSk(version) },
        ConsistentRead: true,
      }),
    );
    if (!out.Item) return undefined;
    const { pk: _pk, sk: _sk, compiledGzip, ...v } = out.Item;
    if (compiledGzip instanceof Uint8Array)
      return { ...v, compiled: JSON.parse(gunzipSync(compiledGzip).toString('utf8')) } as CampaignVersion;
    return v as CampaignVersion;
  }

  /**
   * Stores a new immutable version and makes it the active one, unless the content is the same as
   * the latest version (then nothing changes). Callers validate before pushing: an invalid file
   * never reaches this point, so the previous active version stays active.
   */
  async push(args: {
    campaignId: string;
    name: string;
    fileName: string;
    source: string;
    templates: Record<string, string>;
    compiled?: Record<string, { html: string; text: string }> | undefined;
    createdBy: string;
    now: Date;
  }): Promise<{ version: number; changed: boolean }> {
    const sha256 = campaignSha(args.source, args.templates);
    for (let attempt = 0; attempt < 10; attempt++) {
      const head = await this.head(args.campaignId);
      if (head && head.latestSha256 === sha256) {
        if (head.activeVersion !== head.latestVersion)
          await this.activate(args.campaignId, head.latestVersion, args.now);
        return { version: head.latestVersion, changed: false };
      }
      const version = (head?.latestVersion ?? 0) + 1;
      const record = {
        campaignId: args.campaignId,
        version,
        fileName: args.fileName,
        source: args.source,
        templates: args.templates,
        // Compiled MJML is ~30 KB of HTML per segment; gzip keeps a many-segment campaign far below
        // DynamoDB's 400 KB item limit (it compresses about 10×).
        ...(args.compiled && Object.keys(args.compiled).length > 0
          ? { compiledGzip: gzipSync(JSON.stringify(args.compiled)) }
          : {}),
        sha256,
        createdAt: args.now.toISOString(),
        createdBy: args.createdBy,
      };
      const item = { pk: `CAMPAIGN#${args.campaignId}`, sk: versionSk(version), ...record };
      const size = approximateItemBytes(item);
      if (size > MAX_VERSION_ITEM_BYTES)
        throw new Error(
          `campaign ${args.campaignId}: this version is ${Math.ceil(size / 1024)} KB stored (file, templates and compressed HTML), over the ${MAX_VERSION_ITEM_BYTES / 1024} KB a campaign version may take (DynamoDB items hold at most 400 KB); nothing was stored. Move large inline HTML into fewer or smaller templates, or split the campaign.`,
        );
      try {
        await this.db.send(
          new PutCommand({
            TableName: this.tables.config,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
        const nextHead: CampaignHead = {
          campaignId: args.campaignId,
          name: args.name,
          latestVersion: version,
          latestSha256: sha256,
          activeVersion: version,
          paused: head?.paused ?? false,
          updatedAt: args.now.toISOString(),
        };
        await this.db.send(
          new PutCommand({
            TableName: this.tables.config,
            Item: { pk: INDEX_PK, sk: args.campaignId, ...nextHead },
            ConditionExpression: head ? 'latestVersion = :prev' : 'attribute_not_exists(pk)',
            ...(head ? { ExpressionAttributeValues: { ':prev': head.latestVersion } } : {}),
          }),
        );
        return { version, changed: true };
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
    throw new Error(`campaign ${args.campaignId}: too many concurrent pushes, try again`);
  }

  async activate(campaignId: string, version: number, now: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: { pk: INDEX_PK, sk: campaignId },
        UpdateExpression: 'SET activeVersion = :v, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk) AND latestVersion >= :v',
        ExpressionAttributeValues: { ':v': version, ':now': now.toISOString() },
      }),
    );
  }

  async setPaused(campaignId: string, paused: boolean, now: Date): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.tables.config,
        Key: { pk: INDEX_PK, sk: campaignId },
        UpdateExpression: 'SET paused = :p, updatedAt = :now',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':p': paused, ':now': now.toISOString() },
      }),
    );
  }
}

/** Headroom under DynamoDB's 400 KB item limit (attribute names and type overhead are not exactly counted). */
export const MAX_VERSION_ITEM_BYTES = 380 * 1024;

/** Attribute names plus values in UTF-8 (binary as its length): DynamoDB's item size, to within a few bytes per attribute. */
function approximateItemBytes(value: unknown): number {
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number' || typeof value === 'boolean') return 8;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + 3 + approximateItemBytes(v), 3);
  if (value && typeof value === 'object')
    return Object.entries(value).reduce(
      (n, [k, v]) => n + Buffer.byteLength(k, 'utf8') + 3 + approximateItemBytes(v),
      3,
    );
  return 1;
}
