import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCampaignFiles, readCampaignFile } from '../../cli/local/campaigns.js';
import type { LocalSession } from '../../cli/local/session.js';
import { filePathProblem } from '../../functions/domain/campaigns/validate.js';
import { openTestSession } from '../support/localWorld.js';
import { expectTablesUnchanged, snapshotDiff, snapshotTables } from '../support/tableSnapshot.js';
import { CAMPAIGN_CASES, type CorpusCase } from './cases.js';

// Every hostile campaign file goes through `retention campaigns push` (pushCampaignFiles: read,
// validate, store) against the embedded DynamoDB: it must be refused with its positioned message,
// and no table may change.

const DIR = join(import.meta.dirname, 'campaigns');
let world: Awaited<ReturnType<typeof openTestSession>>;
let session: LocalSession;
let generated: string;

function fileOf(c: CorpusCase): string {
  if (c.file) return join(DIR, c.file);
  const file = join(generated, c.as ?? `${c.name}.yaml`);
  writeFileSync(file, c.generate!());
  return file;
}

describe('hostile campaign files: refused with file:line:column and why, nothing stored', () => {
  beforeAll(async () => {
    world = await openTestSession('corpus-campaigns');
    session = world.session;
    generated = mkdtempSync(join(tmpdir(), 'retention-corpus-campaigns-'));
    // Something to keep unchanged: the corpus's own valid campaign, stored first.
    const [stored] = await pushCampaignFiles(session.campaigns, [join(DIR, 'valid.yaml')], 'corpus');
    expect(stored, JSON.stringify(stored)).toMatchObject({ ok: true, version: 1 });
  });
  afterAll(async () => {
    await world?.close();
    if (generated) rmSync(generated, { recursive: true, force: true });
  });

  it.each(CAMPAIGN_CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const file = fileOf(c);
    const [outcome] = await expectTablesUnchanged(() =>
      pushCampaignFiles(session.campaigns, [file], 'corpus'),
    );
    expect(outcome?.ok, `${c.name} must be refused`).toBe(false);
    const errors = outcome?.errors ?? [];
    for (const line of errors) expect(line).toMatch(/^[^:\n]+:\d+:\d+: \S/);
    expect(errors.join('\n')).toMatch(c.expect);
  });

  it('never reads a template path that validation refuses', async () => {
    for (const c of CAMPAIGN_CASES.filter((c) => c.file?.includes('path'))) {
      const loaded = await readCampaignFile(join(DIR, c.file!));
      expect(Object.keys(loaded.templates).filter((p) => filePathProblem(p) !== undefined)).toEqual([]);
      expect(Object.values(loaded.templates).join('')).not.toMatch(/root:/);
    }
  });

  it('accepts the valid base case, and a changed copy stores a new version (the check can fail)', async () => {
    const before = await snapshotTables();
    const changed = join(generated, 'valid-changed.yaml');
    writeFileSync(
      changed,
      (await readCampaignFile(join(DIR, 'valid.yaml'))).source.replace('priority: 1', 'priority: 2'),
    );
    const [outcome] = await pushCampaignFiles(session.campaigns, [changed], 'corpus');
    expect(outcome).toMatchObject({ ok: true, version: 2 });
    expect(Object.keys(snapshotDiff(before, await snapshotTables()))).not.toEqual([]);
  });
});
