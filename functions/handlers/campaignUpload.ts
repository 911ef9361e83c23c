import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { CampaignStore } from '../adapters/campaignStore.js';
import { documentClient } from '../adapters/clients.js';
import {
  isCampaignFileKey,
  MAX_OBJECT_BYTES,
  type ObjectStore,
  S3Objects,
  statusKeyOf,
  templateKeyOf,
} from '../adapters/s3Objects.js';
import { tableNames } from '../adapters/tableNames.js';
import { loadConfig } from '../config.js';
import {
  compiledEmailsOf,
  formatCampaignError,
  validateCampaign,
  validateCampaignSource,
} from '../domain/campaigns/validate.js';
import { logger } from './deps.js';
import { metrics, tracer } from './observability.js';
import { decodeS3Key, S3CreatedEvent } from './s3Event.js';

export { S3CreatedEvent } from './s3Event.js';

/** What the uploader finds next to the file, at `<key>.status.json`. */
export interface UploadStatus {
  status: 'valid' | 'invalid';
  campaignId?: string | undefined;
  version?: number | undefined;
  /** false when the content equals the latest stored version (nothing new was stored). */
  changed?: boolean | undefined;
  /** An operator paused the campaign (`retention campaigns pause`): the version is stored but not run. */
  paused?: boolean | undefined;
  errors: string[];
  checkedAt: string;
  source: { key: string; versionId?: string | undefined; eTag?: string | undefined };
}

export interface UploadDeps {
  campaigns: CampaignStore;
  now: () => Date;
}

/** Follows one pass of validation to learn which template files the campaign references. */
function referencedTemplates(source: string, fileName: string): string[] {
  const wanted = new Set<string>();
  validateCampaignSource(source, fileName, {
    readTemplateFile: (relative) => {
      wanted.add(relative);
      return undefined;
    },
  });
  return [...wanted];
}

/**
 * Checks one uploaded campaign file with the same validation as the CLI (templates are read from
 * the bucket, relative to the file), stores a new active version when it is valid, and writes the
 * outcome next to the file. An invalid file changes nothing: the previous active version stays.
 */
export async function processCampaignUpload(
  objects: ObjectStore,
  deps: UploadDeps,
  object: {
    key: string;
    size?: number | undefined;
    versionId?: string | undefined;
    eTag?: string | undefined;
  },
): Promise<UploadStatus | undefined> {
  const { key } = object;
  if (!isCampaignFileKey(key)) {
    // Status objects end in .json too and reach us through the same notification: ignore them.
    logger.info('not a campaign file, ignored', { key });
    return undefined;
  }
  const now = deps.now();
  const base = {
    checkedAt: now.toISOString(),
    source: { key, versionId: object.versionId, eTag: object.eTag },
  };
  const invalid = (errors: string[]): UploadStatus => ({ status: 'invalid', errors, ...base });
  let status: UploadStatus;
  const source = (object.size ?? 0) > MAX_OBJECT_BYTES ? null : await objects.getText(key);
  if (source === undefined) {
    logger.warn('campaign file disappeared before it was read', { key });
    return undefined;
  }
  if (source === null) {
    status = invalid([`${key}:1:1: the file is larger than ${MAX_OBJECT_BYTES} bytes`]);
  } else {
    const templates: Record<string, string> = {};
    for (const relative of referencedTemplates(source, key)) {
      const templateKey = templateKeyOf(key, relative);
      const text = templateKey ? await objects.getText(templateKey) : undefined;
      if (text !== undefined) templates[relative] = text;
    }
    const result = await validateCampaign(source, key, {
      readTemplateFile: (relative) => templates[relative],
      now: now.toISOString().slice(0, 10),
    });
    if (!result.ok) {
      status = invalid(result.errors.map(formatCampaignError));
    } else {
      const pushed = await deps.campaigns.push({
        campaignId: result.campaign.id,
        name: result.campaign.name,
        fileName: key.slice(key.lastIndexOf('/') + 1),
        source,
        templates,
        compiled: compiledEmailsOf(result.campaign),
        createdBy: `s3:${key}`,
        now,
      });
      const head = await deps.campaigns.head(result.campaign.id);
      status = {
        status: 'valid',
        campaignId: result.campaign.id,
        version: pushed.version,
        changed: pushed.changed,
        paused: head?.paused ?? false,
        errors: [],
        ...base,
      };
    }
  }
  await objects.putJson(statusKeyOf(key), status);
  logger.info('campaign file checked', {
    key,
    status: status.status,
    campaignId: status.campaignId,
    version: status.version,
    errors: status.errors.length,
  });
  return status;
}

export { decodeS3Key };

/** Handles every record of a notification; records for another bucket than ours are refused. */
export async function handleS3Event(
  event: unknown,
  deps: UploadDeps & { objectsFor: (bucket: string) => ObjectStore; bucket: string },
): Promise<UploadStatus[]> {
  const parsed = S3CreatedEvent.parse(event);
  const out: UploadStatus[] = [];
  for (const record of parsed.Records) {
    const bucket = record.s3.bucket.name;
    if (bucket !== deps.bucket) {
      logger.warn('event for another bucket, ignored', { bucket });
      continue;
    }
    const status = await processCampaignUpload(deps.objectsFor(bucket), deps, {
      ...record.s3.object,
      key: decodeS3Key(record.s3.object.key),
    });
    if (status) out.push(status);
  }
  return out;
}

const Env = z.object({ CAMPAIGN_BUCKET: z.string().min(3) });
let s3: S3Client | undefined;

async function campaignUpload(event: unknown, _context: Context): Promise<{ checked: number }> {
  const { CAMPAIGN_BUCKET } = Env.parse(process.env);
  const config = loadConfig(process.env);
  s3 ??= new S3Client({});
  const client = s3;
  const statuses = await handleS3Event(event, {
    bucket: CAMPAIGN_BUCKET,
    objectsFor: (bucket) => new S3Objects(client, bucket),
    campaigns: new CampaignStore(documentClient(), tableNames(config)),
    now: () => new Date(),
  });
  return { checked: statuses.length };
}

export const handler = middy(campaignUpload)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
