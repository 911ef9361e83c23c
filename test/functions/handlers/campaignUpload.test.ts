import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  campaignUploadObjects,
  checkCampaignFiles,
  uploadCampaignObjects,
} from '../../../cli/commands/campaigns.js';
import { type LocalSession, openLocalSession } from '../../../cli/local/session.js';
import { type ObjectStore, S3Objects, templateKeyOf } from '../../../functions/adapters/s3Objects.js';
import { handleS3Event, type UploadStatus } from '../../../functions/handlers/campaignUpload.js';

vi.hoisted(() => {
  // The handler's logger is created at import time; keep test output quiet.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

/**
 * A fake of S3 only: a map of keys to text. The config table is the real embedded DynamoDB
 * (dynalite via openLocalSession), so versions and activation go through the real CampaignStore.
 */
class InMemoryObjects implements ObjectStore {
  readonly objects = new Map<string, { body: string; contentType: string }>();
  async getText(key: string): Promise<string | undefined> {
    return this.objects.get(key)?.body;
  }
  async putText(key: string, body: string, contentType: string): Promise<void> {
    this.objects.set(key, { body, contentType });
  }
  async putJson(key: string, value: unknown): Promise<void> {
    await this.putText(key, JSON.stringify(value), 'application/json');
  }
}

const BUCKET = 'retention-campaigns-test';
const NOW = new Date('2026-03-02T10:00:00Z');

const s3Event = (...keys: string[]) => ({
  Records: keys.map((key) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: 'eu-west-1',
    eventTime: NOW.toISOString(),
    eventName: 'ObjectCreated:Put',
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
      object: { key, size: 100, eTag: 'abc', versionId: 'v1' },
    },
  })),
});

const example = (name: string) => readFileSync(join('examples/campaigns', name), 'utf8');

describe('campaign upload Lambda logic (S3 faked in memory, DynamoDB embedded)', () => {
  let session: LocalSession;
  let home: string;
  let s3: InMemoryObjects;
  const handle = (event: unknown) =>
    handleS3Event(event, {
      bucket: BUCKET,
      objectsFor: () => s3,
      campaigns: session.campaigns,
      now: () => NOW,
    });
  const status = (key: string) => JSON.parse(s3.objects.get(`${key}.status.json`)!.body) as UploadStatus;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'retention-upload-'));
    session = await openLocalSession({ home, persist: false });
    s3 = new InMemoryObjects();
  });

  afterAll(async () => {
    await session?.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('validates a dropped file with its templates from the bucket, activates it and writes a valid status', async () => {
    // The brand sits beside the campaign folders (`brand: ../brand.yaml`); MJML is compiled here, at upload.
    await s3.putText('campaigns/brand.yaml', readFileSync('examples/brand.yaml', 'utf8'), 'application/yaml');
    await s3.putText(
      'campaigns/nudge/templates/second-order.mjml',
      example('templates/second-order.mjml'),
      'text/plain',
    );
    await s3.putText(
      'campaigns/nudge/templates/second-order.txt',
      example('templates/second-order.txt'),
      'text/plain',
    );
    const key = 'campaigns/nudge/second-order-nudge.yaml';
    await s3.putText(key, example('second-order-nudge.yaml'), 'application/yaml');
    const out = await handle(s3Event(key));
    expect(out).toHaveLength(1);
    expect(status(key)).toEqual({
      status: 'valid',
      campaignId: 'second-order-nudge',
      version: 1,
      changed: true,
      paused: false,
      errors: [],
      checkedAt: NOW.toISOString(),
      source: { key, versionId: 'v1', eTag: 'abc' },
    });
    const head = await session.campaigns.head('second-order-nudge');
    expect(head).toMatchObject({ activeVersion: 1, latestVersion: 1, paused: false });
    const stored = await session.campaigns.version('second-order-nudge', 1);
    expect(stored!.templates['templates/second-order.mjml']).toBe(example('templates/second-order.mjml'));
    expect(stored!.templates['../brand.yaml']).toBe(readFileSync('examples/brand.yaml', 'utf8'));
    expect(stored!.compiled?.['one-order']?.html).toContain(
      '<meta name="color-scheme" content="light dark">',
    );
    // The brand file is not a campaign: its notification is ignored.
    expect(await handle(s3Event('campaigns/brand.yaml'))).toEqual([]);
    expect(stored!.createdBy).toBe(`s3:${key}`);
  });

  it('an invalid file gets file:line:col errors in its status and changes nothing', async () => {
    const key = 'campaigns/nudge/second-order-nudge.yaml';
    const broken = example('second-order-nudge.yaml').replace('holdoutPercent: 10', 'holdoutPercnt: 10');
    await s3.putText(key, broken, 'application/yaml');
    await handle(s3Event(key));
    const st = status(key);
    expect(st.status).toBe('invalid');
    expect(st.version).toBeUndefined();
    expect(st.errors).toContain(
      `${key}:12:1: unknown key "holdoutPercnt" in the campaign — did you mean "holdoutPercent"?`,
    );
    expect(await session.campaigns.head('second-order-nudge')).toMatchObject({
      activeVersion: 1,
      latestVersion: 1,
    });
  });

  it('a missing template is an error pointing at the file, and nothing is stored', async () => {
    const key = 'campaigns/lonely/second-order-nudge.yaml';
    await s3.putText(
      key,
      example('second-order-nudge.yaml').replace('priority: 50', 'priority: 51'),
      'application/yaml',
    );
    await handle(s3Event(key));
    const st = status(key);
    expect(st.status).toBe('invalid');
    expect(st.errors.join('\n')).toMatch(
      /^campaigns\/lonely\/second-order-nudge\.yaml:\d+:\d+: .*templates\/second-order\.mjml/m,
    );
    expect(await session.campaigns.head('second-order-nudge')).toMatchObject({ latestVersion: 1 });
  });

  it('ignores status objects and keys outside the layout; decodes URL-encoded keys', async () => {
    const before = s3.objects.size;
    expect(await handle(s3Event('campaigns/nudge/second-order-nudge.yaml.status.json'))).toEqual([]);
    expect(await handle(s3Event('elsewhere/welcome.yaml'))).toEqual([]);
    expect(s3.objects.size).toBe(before);

    await s3.putText('campaigns/my folder/welcome.yaml', example('welcome.yaml'), 'application/yaml');
    const [st] = await handle(s3Event('campaigns/my+folder/welcome.yaml'));
    expect(st).toMatchObject({ status: 'valid', campaignId: 'welcome', version: 1 });
    expect(s3.objects.has('campaigns/my folder/welcome.yaml.status.json')).toBe(true);
    // The same content again: no new version.
    const [again] = await handle(s3Event('campaigns/my+folder/welcome.yaml'));
    expect(again).toMatchObject({ status: 'valid', version: 1, changed: false });
  });

  it('rejects a malformed event at the edge and records for another bucket', async () => {
    await expect(handle({ Records: [{ eventSource: 'aws:sqs' }] })).rejects.toThrow();
    await expect(handle({})).rejects.toThrow();
    const other = s3Event('campaigns/x/welcome.yaml');
    other.Records[0]!.s3.bucket.name = 'someone-elses-bucket';
    expect(await handle(other)).toEqual([]);
  });

  it('resolves template keys relative to the file and never outside campaigns/', () => {
    expect(templateKeyOf('campaigns/a/x.yaml', 'templates/t.html')).toBe('campaigns/a/templates/t.html');
    expect(templateKeyOf('campaigns/a/x.yaml', '../common/t.html')).toBe('campaigns/common/t.html');
    expect(templateKeyOf('campaigns/a/x.yaml', '../../t.html')).toBeUndefined();
    expect(templateKeyOf('campaigns/a/x.yaml', '/etc/passwd')).toBeUndefined();
  });

  it('`campaigns push --target aws` writes the layout the Lambda reads: templates first, one folder per campaign', async () => {
    const checked = await checkCampaignFiles(
      ['examples/campaigns/second-order-nudge.yaml', 'examples/campaigns/birthday.yaml'],
      '2026-03-02',
    );
    if (!checked.ok) throw new Error(checked.errors.join('\n'));
    const uploads = campaignUploadObjects(checked.files);
    expect(uploads.map((u) => [u.key, u.contentType])).toEqual([
      ['campaigns/brand.yaml', 'application/yaml'],
      ['campaigns/second-order-nudge/templates/second-order.mjml', 'text/plain; charset=utf-8'],
      ['campaigns/second-order-nudge/templates/second-order.txt', 'text/plain; charset=utf-8'],
      ['campaigns/second-order-nudge/second-order-nudge.yaml', 'application/yaml'],
      // The shared brand is uploaded once.
      ['campaigns/birthday/birthday.yaml', 'application/yaml'],
    ]);
    const bucket = new InMemoryObjects();
    const statusKeys = await uploadCampaignObjects(bucket, uploads);
    expect(statusKeys).toEqual([
      'campaigns/second-order-nudge/second-order-nudge.yaml.status.json',
      'campaigns/birthday/birthday.yaml.status.json',
    ]);
    // What the bucket notification would deliver for those uploads:
    s3 = bucket;
    const statuses = await handle(s3Event(...uploads.map((u) => u.key)));
    expect(statuses.map((s) => [s.status, s.campaignId, s.errors])).toEqual([
      ['valid', 'second-order-nudge', []],
      ['valid', 'birthday', []],
    ]);
  });
});

describe('S3Objects (the real adapter, with a stub client standing in for S3)', () => {
  it('maps NoSuchKey to undefined, reads text and writes JSON with a content type', async () => {
    const sent: unknown[] = [];
    const client = {
      send: async (command: unknown) => {
        sent.push(command);
        if (command instanceof GetObjectCommand) {
          if (command.input.Key === 'campaigns/missing.yaml')
            throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
          if (command.input.Key === 'campaigns/denied.yaml')
            throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
          return { ContentLength: 5, Body: { transformToString: async () => 'id: x' } };
        }
        return {};
      },
    } as unknown as S3Client;
    const objects = new S3Objects(client, 'bucket-a');
    expect(await objects.getText('campaigns/missing.yaml')).toBeUndefined();
    await expect(objects.getText('campaigns/denied.yaml')).rejects.toThrow('Access Denied');
    expect(await objects.getText('campaigns/a.yaml')).toBe('id: x');
    await objects.putJson('campaigns/a.yaml.status.json', { status: 'valid' });
    const put = sent.at(-1) as PutObjectCommand;
    expect(put).toBeInstanceOf(PutObjectCommand);
    expect(put.input).toEqual({
      Bucket: 'bucket-a',
      Key: 'campaigns/a.yaml.status.json',
      Body: '{\n  "status": "valid"\n}\n',
      ContentType: 'application/json',
    });
  });
});
