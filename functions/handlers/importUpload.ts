import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { orderAttribution } from '../adapters/attributionStore.js';
import { documentClient } from '../adapters/clients.js';
import { CustomerStore } from '../adapters/customerStore.js';
import { type ObjectStore, S3Objects } from '../adapters/s3Objects.js';
import { tableNames } from '../adapters/tableNames.js';
import { loadConfig } from '../config.js';
import {
  type ImportReport,
  type IngestPort,
  importCustomers,
  importOrders,
} from '../domain/ingest/importService.js';
import type { AttributionPort } from '../domain/measurement/attribution.js';
import { logger } from './deps.js';
import { metrics, tracer } from './observability.js';
import { decodeS3Key, S3CreatedEvent } from './s3Event.js';

export const IMPORT_PREFIXES = { customers: 'imports/customers/', orders: 'imports/orders/' } as const;
const MAX_IMPORT_BYTES = 200 * 1024 * 1024;

export interface ImportStatus {
  status: 'imported' | 'rejected';
  rows: number;
  written: number;
  unchanged: number;
  problems: string[];
  checkedAt: string;
}

/**
 * Imports one uploaded file with the same domain code as `retention import`: validated whole,
 * written only when every row is valid, idempotent; the outcome goes to `<key>.status.json`.
 */
export async function processImportUpload(
  objects: ObjectStore,
  key: string,
  port: IngestPort,
  options: {
    retentionDays: number;
    now: () => Date;
    /** Order imports attribute each order to its decision, as `retention import orders` does. */
    attribution?: { port: AttributionPort; defaultDays: number } | undefined;
  },
): Promise<ImportStatus | undefined> {
  const kind = key.startsWith(IMPORT_PREFIXES.customers)
    ? 'customers'
    : key.startsWith(IMPORT_PREFIXES.orders)
      ? 'orders'
      : undefined;
  if (!kind || key.endsWith('.status.json') || !/\.(csv|jsonl|ndjson)$/i.test(key)) return undefined;
  const text = await objects.getText(key);
  if (text === undefined) return undefined;
  const report: ImportReport =
    kind === 'customers'
      ? await importCustomers(key, text, port)
      : await importOrders(key, text, port, {
          retentionDays: options.retentionDays,
          attribution: options.attribution,
        });
  const status: ImportStatus = {
    status: report.ok ? 'imported' : 'rejected',
    rows: report.rows,
    written: report.written,
    unchanged: report.unchanged,
    problems: report.problems.map((p) => `${key}:${p.line}: ${p.message}`),
    checkedAt: options.now().toISOString(),
  };
  await objects.putJson(`${key}.status.json`, status);
  return status;
}

const s3 = new S3Client({});

async function importUpload(event: unknown, _context: Context): Promise<ImportStatus[]> {
  const parsed = S3CreatedEvent.parse(event);
  const config = loadConfig(process.env);
  const customers = new CustomerStore(documentClient(), tableNames(config));
  const results: ImportStatus[] = [];
  for (const record of parsed.Records) {
    const key = decodeS3Key(record.s3.object.key);
    if ((record.s3.object.size ?? 0) > MAX_IMPORT_BYTES) {
      logger.warn('import file too large, skipped', { key, size: record.s3.object.size });
      continue;
    }
    const status = await processImportUpload(new S3Objects(s3, record.s3.bucket.name), key, customers, {
      retentionDays: config.ORDER_RETENTION_DAYS,
      attribution: orderAttribution(documentClient(), config),
      now: () => new Date(),
    });
    if (status) {
      logger.info('import checked', {
        key,
        status: status.status,
        rows: status.rows,
        problems: status.problems.length,
      });
      results.push(status);
    }
  }
  return results;
}

export const handler = middy(importUpload)
  .use(injectLambdaContext(logger))
  .use(captureLambdaHandler(tracer))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
