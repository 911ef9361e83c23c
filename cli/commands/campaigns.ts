// `retention campaigns ...`: validate campaign files, print the JSON Schema, push them (local database or
// the campaign S3 bucket), list / show / pause / resume / diff stored campaigns, and preview one on local data.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import type { CampaignHead, CampaignStore, CampaignVersion } from '../../functions/adapters/campaignStore.js';
import {
  CAMPAIGN_PREFIX,
  campaignFileKey,
  isCampaignFileKey,
  type ObjectStore,
  S3Objects,
  statusKeyOf,
  templateKeyOf,
} from '../../functions/adapters/s3Objects.js';
import {
  type Campaign,
  type CampaignChange,
  type CampaignError,
  campaignJsonSchema,
  diffCampaigns,
  formatCampaignError,
  type ValidationResult,
  validateCampaign,
  validateCampaignSource,
} from '../../functions/domain/campaigns/index.js';
import { compiledEmailsOf } from '../../functions/domain/campaigns/validate.js';
import { storedCompiledEmails } from '../../functions/domain/night/context.js';
import { todayUtc } from '../../functions/domain/night/dates.js';
import { type LoadedCampaignFile, readCampaignFile } from '../local/campaigns.js';
import { formatPreview, previewCampaign } from '../local/preview.js';
import { type LocalSession, openLocalSession } from '../local/session.js';
import { parseDate, parsePositiveInt } from '../options.js';

/** Validates one campaign file from disk; template files are read relative to it. */
export async function validateCampaignFile(file: string, now?: string): Promise<ValidationResult> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    const e: CampaignError = {
      file,
      line: 1,
      column: 1,
      path: '',
      message: `cannot read the campaign file: ${reason}`,
    };
    return { ok: false, errors: [e] };
  }
  const dir = path.dirname(file);
  return validateCampaign(text, file, {
    ...(now === undefined ? {} : { now }),
    readTemplateFile: (relative) => {
      const full = path.resolve(dir, relative);
      if (!existsSync(full) || !statSync(full).isFile()) return undefined;
      return readFileSync(full, 'utf8');
    },
  });
}

// ---- push / list / show / pause / resume / diff: the local database (or the S3 bucket for push) ----

export interface CheckedCampaignFile {
  file: string;
  loaded: LoadedCampaignFile;
  campaign: Campaign;
  /** Formatted file:line:column warnings (e.g. an email over Gmail's 102 KB clipping size). */
  warnings: string[];
}

export type CheckResult = { ok: true; files: CheckedCampaignFile[] } | { ok: false; errors: string[] };

/**
 * Reads and validates every file (templates relative to each); ok only when all are valid and no two
 * files define the same campaign. Nothing is stored by this step.
 */
export async function checkCampaignFiles(files: readonly string[], now: string): Promise<CheckResult> {
  const errors: string[] = [];
  const checked: CheckedCampaignFile[] = [];
  for (const file of files) {
    let loaded: LoadedCampaignFile;
    try {
      loaded = await readCampaignFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder' : String(error);
      errors.push(`${file}:1:1: cannot read the campaign file: ${reason}`);
      continue;
    }
    const result = await validateCampaign(loaded.source, file, {
      readTemplateFile: (relative) => loaded.templates[relative],
      now,
    });
    if (!result.ok) {
      errors.push(...result.errors.map(formatCampaignError));
      continue;
    }
    const twin = checked.find((c) => c.campaign.id === result.campaign.id);
    if (twin) {
      errors.push(`${file}:1:1: campaign "${result.campaign.id}" is also defined in ${twin.file}`);
      continue;
    }
    checked.push({
      file,
      loaded,
      campaign: result.campaign,
      warnings: result.warnings.map(formatCampaignError),
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, files: checked };
}

export interface ActiveCampaign {
  head: CampaignHead;
  stored: CampaignVersion;
  /** undefined when the stored version no longer validates (the nightly run skips it then). */
  campaign: Campaign | undefined;
}

/** The version the nightly run uses for a campaign, parsed; undefined when none is active. */
export async function activeCampaign(
  store: CampaignStore,
  campaignId: string,
): Promise<ActiveCampaign | undefined> {
  const head = await store.head(campaignId);
  if (!head || head.activeVersion === undefined) return undefined;
  const stored = await store.version(campaignId, head.activeVersion);
  if (!stored) return undefined;
  const result = validateCampaignSource(stored.source, stored.fileName, {
    readTemplateFile: (relative) => stored.templates[relative],
    compiledEmails: storedCompiledEmails(stored.compiled),
  });
  return { head, stored, campaign: result.ok ? result.campaign : undefined };
}

export interface PushedCampaign {
  file: string;
  warnings: string[];
  campaignId: string;
  version: number;
  changed: boolean;
  paused: boolean;
  /** Changes against the version that was active before; null for a new campaign. */
  changes: CampaignChange[] | null;
}

/**
 * `campaigns push` on the local database: every file is validated first and nothing is stored when
 * any is invalid; then each becomes a new immutable, active version (used from the next run on).
 */
export async function pushCampaigns(
  store: CampaignStore,
  files: readonly string[],
  options: { now: Date; createdBy: string },
): Promise<{ ok: true; pushed: PushedCampaign[] } | { ok: false; errors: string[] }> {
  const checked = await checkCampaignFiles(files, options.now.toISOString().slice(0, 10));
  if (!checked.ok) return checked;
  const pushed: PushedCampaign[] = [];
  for (const c of checked.files) {
    const before = await activeCampaign(store, c.campaign.id);
    const result = await store.push({
      campaignId: c.campaign.id,
      name: c.campaign.name,
      fileName: path.basename(c.file),
      source: c.loaded.source,
      templates: c.loaded.templates,
      compiled: compiledEmailsOf(c.campaign),
      createdBy: options.createdBy,
      now: options.now,
    });
    pushed.push({
      file: c.file,
      warnings: c.warnings,
      campaignId: c.campaign.id,
      version: result.version,
      changed: result.changed,
      paused: before?.head.paused ?? false,
      changes: before?.campaign ? diffCampaigns(before.campaign, c.campaign) : null,
    });
  }
  return { ok: true, pushed };
}

export function formatPushed(p: PushedCampaign): string {
  const lines: string[] = [];
  if (!p.changed) lines.push(`${p.file}: ${p.campaignId} unchanged (version ${p.version} is active)`);
  else {
    lines.push(`${p.file}: ${p.campaignId} version ${p.version} stored and active from the next run`);
    if (p.changes === null) lines.push('  new campaign');
    else for (const change of p.changes) lines.push(`  ${changeMarker(change)} ${change.description}`);
  }
  if (p.paused)
    lines.push(`  note: ${p.campaignId} is paused; \`retention campaigns resume ${p.campaignId}\` to run it`);
  return `${lines.join('\n')}\n`;
}

const CONTENT_TYPES: Record<string, string> = {
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.json': 'application/json',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
};

export interface UploadObject {
  key: string;
  body: string;
  contentType: string;
}

/**
 * The objects `campaigns push --target aws` writes: each campaign in its own folder
 * `campaigns/<id>/`, its templates at the same relative paths as on disk, templates before the file
 * (the file's upload triggers the Lambda, which then finds the templates next to it).
 */
export function campaignUploadObjects(files: readonly CheckedCampaignFile[]): UploadObject[] {
  const objects: UploadObject[] = [];
  const uploaded = new Set<string>();
  for (const c of files) {
    const fileKey = campaignFileKey(c.campaign.id, path.basename(c.file));
    for (const [relative, body] of Object.entries(c.loaded.templates).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const key = templateKeyOf(fileKey, relative);
      // The brand is shared: `../brand.yaml` of every campaign folder is the one `campaigns/brand.yaml`.
      const sharedBrand = relative === c.campaign.brand && key !== undefined;
      if (sharedBrand && uploaded.has(key)) continue;
      if (!key || (!sharedBrand && !key.startsWith(`${CAMPAIGN_PREFIX}${c.campaign.id}/`))) {
        throw new Error(
          `${c.file}: template "${relative}" is outside the campaign's folder; keep templates next to the file or below it`,
        );
      }
      const ext = path.extname(relative).toLowerCase();
      objects.push({ key, body, contentType: CONTENT_TYPES[ext] ?? 'text/plain; charset=utf-8' });
      uploaded.add(key);
    }
    const ext = path.extname(c.file).toLowerCase();
    objects.push({
      key: fileKey,
      body: c.loaded.source,
      contentType: CONTENT_TYPES[ext] ?? 'application/yaml',
    });
  }
  return objects;
}

/** Uploads the objects in order; returns the status keys the upload Lambda will write. */
export async function uploadCampaignObjects(
  objects: ObjectStore,
  uploads: readonly UploadObject[],
): Promise<string[]> {
  const statusKeys: string[] = [];
  for (const o of uploads) {
    await objects.putText(o.key, o.body, o.contentType);
    if (isCampaignFileKey(o.key)) statusKeys.push(statusKeyOf(o.key));
  }
  return statusKeys;
}

export interface CampaignListRow {
  campaignId: string;
  name: string;
  activeVersion: number | undefined;
  latestVersion: number;
  paused: boolean;
  updatedAt: string;
}

export async function listCampaigns(store: CampaignStore): Promise<CampaignListRow[]> {
  const heads = await store.heads();
  return heads
    .map((h) => ({
      campaignId: h.campaignId,
      name: h.name,
      activeVersion: h.activeVersion,
      latestVersion: h.latestVersion,
      paused: h.paused,
      updatedAt: h.updatedAt,
    }))
    .sort((a, b) => a.campaignId.localeCompare(b.campaignId));
}

export function formatCampaignList(rows: readonly CampaignListRow[]): string {
  if (rows.length === 0) return 'no campaigns stored yet; `retention campaigns push FILE...` stores some\n';
  const table = [
    ['ID', 'NAME', 'ACTIVE', 'LATEST', 'PAUSED', 'UPDATED'],
    ...rows.map((r) => [
      r.campaignId,
      r.name,
      r.activeVersion === undefined ? '-' : String(r.activeVersion),
      String(r.latestVersion),
      r.paused ? 'yes' : 'no',
      r.updatedAt.replace('T', ' ').slice(0, 19),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  return `${table
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** A stored version: the given one, else the active one, else the latest. */
export async function showCampaign(
  store: CampaignStore,
  campaignId: string,
  version?: number,
): Promise<{ head: CampaignHead; stored: CampaignVersion }> {
  const head = await store.head(campaignId);
  if (!head) throw new Error(`no campaign "${campaignId}" is stored (see \`retention campaigns list\`)`);
  const wanted = version ?? head.activeVersion ?? head.latestVersion;
  const stored = await store.version(campaignId, wanted);
  if (!stored)
    throw new Error(
      `campaign "${campaignId}" has no version ${wanted} (versions 1 to ${head.latestVersion})`,
    );
  return { head, stored };
}

export async function setCampaignPaused(
  store: CampaignStore,
  campaignId: string,
  paused: boolean,
  now: Date,
): Promise<void> {
  const head = await store.head(campaignId);
  if (!head) throw new Error(`no campaign "${campaignId}" is stored (see \`retention campaigns list\`)`);
  await store.setPaused(campaignId, paused, now);
}

export type DiffResult =
  | { ok: false; errors: string[] }
  | {
      ok: true;
      file: string;
      campaignId: string;
      /** The active version compared against; undefined for a campaign not stored yet. */
      base: { version: number; paused: boolean } | undefined;
      changes: CampaignChange[];
      /** The stored version no longer validates (e.g. the vocabulary changed). */
      baseInvalid: boolean;
    };

/** `campaigns diff FILE`: what pushing the file would change against the active version. */
export async function diffCampaignFile(store: CampaignStore, file: string, now: string): Promise<DiffResult> {
  const checked = await checkCampaignFiles([file], now);
  if (!checked.ok) return checked;
  const c = checked.files[0]!;
  const active = await activeCampaign(store, c.campaign.id);
  if (!active)
    return { ok: true, file, campaignId: c.campaign.id, base: undefined, changes: [], baseInvalid: false };
  return {
    ok: true,
    file,
    campaignId: c.campaign.id,
    base: { version: active.stored.version, paused: active.head.paused },
    changes: active.campaign ? diffCampaigns(active.campaign, c.campaign) : [],
    baseInvalid: active.campaign === undefined,
  };
}

function changeMarker(change: CampaignChange): string {
  return change.kind === 'added' ? '+' : change.kind === 'removed' ? '-' : '~';
}

export function formatDiff(d: Extract<DiffResult, { ok: true }>): string {
  if (!d.base) return `${d.campaignId}: new campaign, not stored yet (${d.file} would become version 1)\n`;
  const head = `${d.campaignId}: active version ${d.base.version}${d.base.paused ? ' (paused)' : ''} → ${d.file}`;
  if (d.baseInvalid)
    return `${head}\n  the active version no longer validates; pushing the file replaces it as a whole\n`;
  if (d.changes.length === 0) return `${head}\n  no changes\n`;
  const lines = d.changes.map((c) => `  ${changeMarker(c)} ${c.description}`);
  return `${head}\n${lines.join('\n')}\n${d.changes.length} change${d.changes.length === 1 ? '' : 's'}\n`;
}

export function registerCampaignCommands(program: Command): void {
  const campaigns = program
    .command('campaigns')
    .description('campaign files: validate, schema, push, list, show, pause, resume, diff, preview');

  campaigns
    .command('validate')
    .description('validate campaign files (YAML or JSON); exit 1 when any is invalid')
    .argument('<files...>', 'campaign files')
    .option('--now <date>', 'today (YYYY-MM-DD) for calendar checks; defaults to the current UTC date')
    .action(async (files: string[], opts: { now?: string }) => {
      const now = opts.now ?? new Date().toISOString().slice(0, 10);
      let failed = false;
      for (const file of files) {
        const result = await validateCampaignFile(file, now);
        if (result.ok) {
          const n = result.campaign.segments.length;
          process.stdout.write(`${file}: ok (${n} segment${n === 1 ? '' : 's'})\n`);
          for (const w of result.warnings) process.stderr.write(`${formatCampaignError(w)} (warning)\n`);
        } else {
          failed = true;
          for (const e of result.errors) process.stderr.write(`${formatCampaignError(e)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });

  campaigns
    .command('schema')
    .description('print the JSON Schema of a campaign file')
    .action(() => {
      process.stdout.write(`${JSON.stringify(campaignJsonSchema(), null, 2)}\n`);
    });

  campaigns
    .command('push')
    .description(
      'validate campaign files and store each as a new active version (nothing stored if any is invalid)',
    )
    .argument('<files...>', 'campaign files (YAML or JSON)')
    .option('--target <target>', 'local (the local database) or aws (the campaign S3 bucket)', 'local')
    .option('--bucket <name>', 'campaign bucket for --target aws (default: $RETENTION_CAMPAIGN_BUCKET)')
    .action(async (files: string[], opts: { target: string; bucket?: string }) => {
      if (opts.target !== 'local' && opts.target !== 'aws')
        throw new Error(`--target must be local or aws, got "${opts.target}"`);
      // Validate before touching any store, so an invalid file never starts the database or S3.
      const checked = await checkCampaignFiles(files, todayUtc());
      if (!checked.ok) {
        for (const e of checked.errors) process.stderr.write(`${e}\n`);
        process.stderr.write('nothing was stored\n');
        process.exitCode = 1;
        return;
      }
      if (opts.target === 'aws') {
        const bucket = opts.bucket ?? process.env.RETENTION_CAMPAIGN_BUCKET;
        if (!bucket) throw new Error('--target aws needs --bucket NAME or RETENTION_CAMPAIGN_BUCKET');
        for (const c of checked.files) for (const w of c.warnings) process.stderr.write(`${w} (warning)\n`);
        const uploads = campaignUploadObjects(checked.files);
        const client = new S3Client({});
        try {
          const statusKeys = await uploadCampaignObjects(new S3Objects(client, bucket), uploads);
          for (const u of uploads) process.stdout.write(`uploaded s3://${bucket}/${u.key}\n`);
          process.stdout.write(
            `the upload Lambda validates and activates each file and writes the outcome to:\n${statusKeys
              .map((k) => `  s3://${bucket}/${k}`)
              .join('\n')}\n`,
          );
        } finally {
          client.destroy();
        }
        return;
      }
      await withSession(async (session) => {
        const result = await pushCampaigns(session.campaigns, files, {
          now: new Date(),
          createdBy: process.env.USER ?? 'local',
        });
        if (!result.ok) {
          for (const e of result.errors) process.stderr.write(`${e}\n`);
          process.exitCode = 1;
          return;
        }
        for (const p of result.pushed) {
          process.stdout.write(formatPushed(p));
          for (const w of p.warnings) process.stderr.write(`${w} (warning)\n`);
        }
      });
    });

  campaigns
    .command('list')
    .description('stored campaigns: id, name, active and latest version, paused, last update')
    .action(async () => {
      await withSession(async (session) => {
        process.stdout.write(formatCampaignList(await listCampaigns(session.campaigns)));
      });
    });

  campaigns
    .command('show')
    .description('print a stored campaign file (the active version unless --version)')
    .argument('<id>', 'campaign id')
    .option('--version <n>', 'version number', parsePositiveInt)
    .action(async (id: string, opts: { version?: number }) => {
      await withSession(async (session) => {
        const { head, stored } = await showCampaign(session.campaigns, id, opts.version);
        const state =
          stored.version === head.activeVersion ? `active${head.paused ? ', paused' : ''}` : 'not active';
        const templates = Object.keys(stored.templates);
        process.stderr.write(
          `# ${id} version ${stored.version} of ${head.latestVersion} (${state}) from ${stored.fileName}, ` +
            `pushed ${stored.createdAt} by ${stored.createdBy}` +
            `${templates.length > 0 ? `; templates: ${templates.join(', ')}` : ''}\n`,
        );
        process.stdout.write(stored.source.endsWith('\n') ? stored.source : `${stored.source}\n`);
      });
    });

  for (const [name, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    campaigns
      .command(name)
      .description(
        paused
          ? 'stop running a campaign from the next run on (its versions stay stored)'
          : 'run a paused campaign again from the next run on',
      )
      .argument('<id>', 'campaign id')
      .action(async (id: string) => {
        await withSession(async (session) => {
          await setCampaignPaused(session.campaigns, id, paused, new Date());
          process.stdout.write(
            paused
              ? `${id} paused: the nightly run skips it from the next run on\n`
              : `${id} resumed: the nightly run uses its active version from the next run on\n`,
          );
        });
      });
  }

  campaigns
    .command('diff')
    .description('what pushing a file would change against the active version (exit 0 either way)')
    .argument('<file>', 'campaign file')
    .action(async (file: string) => {
      const checked = await checkCampaignFiles([file], todayUtc());
      if (!checked.ok) {
        for (const e of checked.errors) process.stderr.write(`${e}\n`);
        process.exitCode = 1;
        return;
      }
      await withSession(async (session) => {
        const result = await diffCampaignFile(session.campaigns, file, todayUtc());
        if (!result.ok) {
          for (const e of result.errors) process.stderr.write(`${e}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(formatDiff(result));
      });
    });

  campaigns
    .command('preview')
    .description(
      'audience per segment on the local data, next to the other active campaigns, and sample emails',
    )
    .argument('<file>', 'campaign file')
    .option('--sample <n>', 'sample emails to write', parseSampleCount, 3)
    .option('--date <date>', 'the night to preview (default today)', parseDate)
    .option('--screenshots', 'also take headless Chromium screenshots (375 and 1,200 px, light and dark)')
    .action(async (file: string, opts: { sample: number; date?: string; screenshots?: boolean }) => {
      const checked = await checkCampaignFiles([file], opts.date ?? todayUtc());
      if (!checked.ok) {
        for (const e of checked.errors) process.stderr.write(`${e}\n`);
        process.exitCode = 1;
        return;
      }
      await withSession(async (session) => {
        const result = await previewCampaign(session, {
          file,
          runDate: opts.date ?? todayUtc(),
          sample: opts.sample,
          screenshots: opts.screenshots === true,
        });
        if (!result.ok) {
          for (const e of result.errors) process.stderr.write(`${e}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(formatPreview(result.report));
      });
    });
}

async function withSession(fn: (session: LocalSession) => Promise<void>): Promise<void> {
  const session = await openLocalSession();
  try {
    await fn(session);
  } finally {
    await session.close();
  }
}

function parseSampleCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new Error(`expected a whole number from 0 to 1000, got "${value}"`);
  return n;
}
