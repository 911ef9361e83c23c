import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/**
 * The little of S3 the campaign upload needs, behind an interface so the upload logic can be
 * exercised without AWS (tests use an in-memory implementation; the Lambda and the CLI use S3Objects).
 */
export interface ObjectStore {
  /** The object as UTF-8 text; undefined when there is no such key. */
  getText(key: string): Promise<string | undefined>;
  putText(key: string, body: string, contentType: string): Promise<void>;
  putJson(key: string, value: unknown): Promise<void>;
}

/** Campaign files and templates are small; anything larger is not a campaign file. */
export const MAX_OBJECT_BYTES = 1_000_000;

export class S3Objects implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async getText(key: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if ((out.ContentLength ?? 0) > MAX_OBJECT_BYTES) {
        throw new Error(`s3://${this.bucket}/${key} is larger than ${MAX_OBJECT_BYTES} bytes`);
      }
      return (await out.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
      throw error;
    }
  }

  async putText(key: string, body: string, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.putText(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
  }
}

// ---- the campaign bucket's key layout (shared by the upload Lambda and `campaigns push --target aws`) ----

/** Campaign files are dropped under this prefix; the upload Lambda is notified only for it. */
export const CAMPAIGN_PREFIX = 'campaigns/';
/** The outcome of checking `<key>` is written to `<key>.status.json`. */
export const STATUS_SUFFIX = '.status.json';
/** Suffixes that trigger the upload Lambda (S3 suffix filters are case-sensitive). */
export const CAMPAIGN_SUFFIXES = ['.yaml', '.yml', '.json'] as const;

/** A campaign file the Lambda should check: under the prefix, a campaign suffix, not a status object. */
export function isCampaignFileKey(key: string): boolean {
  return (
    key.startsWith(CAMPAIGN_PREFIX) &&
    !key.endsWith(STATUS_SUFFIX) &&
    // The brand theme sits beside the campaign folders and is stored with each campaign that names it.
    !/(?:^|\/)brand\.(?:ya?ml|json)$/.test(key) &&
    CAMPAIGN_SUFFIXES.some((suffix) => key.endsWith(suffix))
  );
}

export function statusKeyOf(key: string): string {
  return `${key}${STATUS_SUFFIX}`;
}

/**
 * The key of a template referenced as `htmlFile: templates/x.html` by the file at `fileKey`: relative
 * to the file's folder, like on disk. Undefined when the path leaves the campaign prefix or is absolute.
 */
export function templateKeyOf(fileKey: string, relativePath: string): string | undefined {
  if (relativePath.startsWith('/') || relativePath.includes('\\')) return undefined;
  const folder = fileKey.slice(0, fileKey.lastIndexOf('/') + 1);
  const parts: string[] = [];
  for (const part of `${folder}${relativePath}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  const key = parts.join('/');
  return key.startsWith(CAMPAIGN_PREFIX) ? key : undefined;
}

/** Where `campaigns push --target aws` puts a campaign file: one folder per campaign id. */
export function campaignFileKey(campaignId: string, fileName: string): string {
  return `${CAMPAIGN_PREFIX}${campaignId}/${fileName}`;
}
