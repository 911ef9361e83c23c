import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  diffCampaignFile,
  formatCampaignList,
  formatDiff,
  listCampaigns,
  pushCampaigns,
  setCampaignPaused,
  showCampaign,
} from '../../cli/commands/campaigns.js';
import { exampleCampaignFiles } from '../../cli/local/campaigns.js';
import { previewCampaign } from '../../cli/local/preview.js';
import { type LocalSession, openLocalSession } from '../../cli/local/session.js';
import { campaignYaml } from '../functions/domain/campaigns/fixtures.js';
import { INVALID_CAMPAIGN } from './invalidCampaign.js';

const NOW = new Date('2026-03-02T09:00:00Z');
const TODAY = '2026-03-02';

describe('campaigns push / list / show / pause / resume / diff on the embedded database', () => {
  let session: LocalSession;
  let dir: string;
  let examples: string[];
  const atRisk = () => readFileSync('examples/campaigns/at-risk-save.yaml', 'utf8');

  beforeAll(async () => {
    // Copies of example files sit in a campaigns folder with the brand beside it, as in examples/.
    dir = join(mkdtempSync(join(tmpdir(), 'retention-campaigns-')), 'campaigns');
    mkdirSync(dir);
    copyFileSync('examples/brand.yaml', join(dir, '..', 'brand.yaml'));
    session = await openLocalSession({ home: join(dir, 'home'), persist: false });
    examples = await exampleCampaignFiles(process.cwd());
    writeFileSync(join(dir, 'bad.yaml'), INVALID_CAMPAIGN);
  });

  afterAll(async () => {
    await session?.close();
    rmSync(join(dir, '..'), { recursive: true, force: true });
  });

  it('push stores nothing when any file is invalid, and reports every error as file:line:column', async () => {
    const bad = join(dir, 'bad.yaml');
    const result = await pushCampaigns(session.campaigns, ['examples/campaigns/welcome.yaml', bad], {
      now: NOW,
      createdBy: 'test',
    });
    expect(result).toEqual({
      ok: false,
      errors: [
        `${bad}:7:17: holdoutPercent: expected a holdout percentage from 0 to 50, found 80`,
        `${bad}:11:17: segments[0].audience: unknown field "clv12m" — did you mean "clv"?`,
      ],
    });
    const missing = await pushCampaigns(session.campaigns, [join(dir, 'nope.yaml')], {
      now: NOW,
      createdBy: 't',
    });
    expect(missing).toEqual({
      ok: false,
      errors: [`${join(dir, 'nope.yaml')}:1:1: cannot read the campaign file: file not found`],
    });
    const twice = join(dir, 'welcome-copy.yaml');
    writeFileSync(twice, readFileSync('examples/campaigns/welcome.yaml', 'utf8'));
    const dup = await pushCampaigns(session.campaigns, ['examples/campaigns/welcome.yaml', twice], {
      now: NOW,
      createdBy: 't',
    });
    expect(dup).toEqual({
      ok: false,
      errors: [`${twice}:1:1: campaign "welcome" is also defined in examples/campaigns/welcome.yaml`],
    });
    expect(await listCampaigns(session.campaigns)).toEqual([]);
  });

  it('push stores version 1 of each example, active; list shows them', async () => {
    const result = await pushCampaigns(session.campaigns, examples, { now: NOW, createdBy: 'test' });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.pushed.map((p) => [p.campaignId, p.version, p.changed, p.changes])).toContainEqual([
      'at-risk-save',
      1,
      true,
      null,
    ]);
    const rows = await listCampaigns(session.campaigns);
    expect(rows.map((r) => r.campaignId)).toEqual([
      'at-risk-save',
      'birthday',
      'cant-lose-them',
      'second-order-nudge',
      'vip-thank-you',
      'welcome',
      'win-back',
    ]);
    for (const r of rows) expect(r).toMatchObject({ activeVersion: 1, latestVersion: 1, paused: false });
    const text = formatCampaignList(rows);
    expect(text.split('\n')[0]).toMatch(/^ID\s+NAME\s+ACTIVE\s+LATEST\s+PAUSED\s+UPDATED$/);
    expect(text).toMatch(/^at-risk-save\s+At-risk save offer\s+1\s+1\s+no\s+2026-03-02 09:00:00$/m);
    // The same files again: nothing new.
    const again = await pushCampaigns(session.campaigns, examples, { now: NOW, createdBy: 'test' });
    expect(again.ok && again.pushed.every((p) => !p.changed && p.version === 1)).toBe(true);
  });

  it('diff shows what a push would change against the active version; push then stores version 2', async () => {
    const edited = join(dir, 'at-risk-save.yaml');
    writeFileSync(
      edited,
      atRisk().replace('priority: 80', 'priority: 82').replace('holdoutPercent: 10', 'holdoutPercent: 20'),
    );
    const diff = await diffCampaignFile(session.campaigns, edited, TODAY);
    if (!diff.ok) throw new Error(diff.errors.join('\n'));
    expect(diff.base).toEqual({ version: 1, paused: false });
    expect(diff.changes.map((c) => c.description)).toEqual(['priority: 80 → 82', 'holdoutPercent: 10 → 20']);
    expect(formatDiff(diff)).toBe(
      `at-risk-save: active version 1 → ${edited}\n  ~ priority: 80 → 82\n  ~ holdoutPercent: 10 → 20\n2 changes\n`,
    );
    const same = await diffCampaignFile(session.campaigns, 'examples/campaigns/welcome.yaml', TODAY);
    expect(same.ok && formatDiff(same)).toBe(
      'welcome: active version 1 → examples/campaigns/welcome.yaml\n  no changes\n',
    );
    const fresh = join(dir, 'fresh.yaml');
    writeFileSync(
      fresh,
      readFileSync('examples/campaigns/welcome.yaml', 'utf8').replace('id: welcome', 'id: welcome-2'),
    );
    const added = await diffCampaignFile(session.campaigns, fresh, TODAY);
    expect(added.ok && added.base).toBeUndefined();
    expect(added.ok && formatDiff(added)).toContain('welcome-2: new campaign, not stored yet');
    const invalid = await diffCampaignFile(session.campaigns, join(dir, 'bad.yaml'), TODAY);
    expect(invalid.ok).toBe(false);

    const pushed = await pushCampaigns(session.campaigns, [edited], { now: NOW, createdBy: 'test' });
    if (!pushed.ok) throw new Error(pushed.errors.join('\n'));
    expect(pushed.pushed[0]).toMatchObject({ campaignId: 'at-risk-save', version: 2, changed: true });
    expect(pushed.pushed[0]!.changes!.map((c) => c.path)).toEqual(['priority', 'holdoutPercent']);
    const head = (await listCampaigns(session.campaigns)).find((r) => r.campaignId === 'at-risk-save');
    expect(head).toMatchObject({ activeVersion: 2, latestVersion: 2 });
    const after = await diffCampaignFile(session.campaigns, edited, TODAY);
    expect(after.ok && after.changes).toEqual([]);
  });

  it('show returns the stored file of the active or a given version', async () => {
    const active = await showCampaign(session.campaigns, 'at-risk-save');
    expect(active.stored.version).toBe(2);
    expect(active.stored.source).toContain('priority: 82');
    const first = await showCampaign(session.campaigns, 'at-risk-save', 1);
    expect(first.stored.source).toBe(atRisk());
    expect(first.stored.fileName).toBe('at-risk-save.yaml');
    const nudge = await showCampaign(session.campaigns, 'second-order-nudge');
    expect(Object.keys(nudge.stored.templates).sort()).toEqual([
      '../brand.yaml',
      'templates/second-order.mjml',
      'templates/second-order.txt',
    ]);
    // The MJML was compiled at push and the HTML stored with the version: the night runs only Liquid.
    expect(Object.keys(nudge.stored.compiled ?? {})).toEqual(['one-order']);
    expect(nudge.stored.compiled?.['one-order']?.html).toContain('{{ offer.code }}');
    await expect(showCampaign(session.campaigns, 'at-risk-save', 7)).rejects.toThrow(
      'campaign "at-risk-save" has no version 7 (versions 1 to 2)',
    );
    await expect(showCampaign(session.campaigns, 'nope')).rejects.toThrow('no campaign "nope" is stored');
  });

  it('push stores a campaign over Gmail’s clipping size and returns the warning at its line', async () => {
    const file = join(dir, 'long-letter.yaml');
    const lorem = 'Lorem ipsum dolor sit amet. '.repeat(4000);
    writeFileSync(
      file,
      campaignYaml(
        { id: 'long-letter', name: 'Long letter', brand: '../brand.yaml' },
        `  - id: everyone
    audience: { all: [] }
    offer:
      subject: A long letter
      mjml: '<rp-text>${lorem}</rp-text>'
`,
      ),
    );
    const result = await pushCampaigns(session.campaigns, [file], { now: NOW, createdBy: 'test' });
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.pushed[0]?.warnings.join('\n')).toMatch(
      /long-letter\.yaml:\d+:\d+: .*Gmail clips emails over 102 KB/,
    );
    const clean = await pushCampaigns(session.campaigns, [examples[0]!], { now: NOW, createdBy: 'test' });
    expect(clean.ok && clean.pushed[0]?.warnings).toEqual([]);
  });

  it('stores compiled HTML compressed: 12 segments of 35 KB fit one version item and read back exactly', async () => {
    const compiled: Record<string, { html: string; text: string }> = {};
    for (let i = 0; i < 12; i++) {
      const block = `<tr><td class="rp-product" style="padding:16px;font-family:Helvetica">Item ${i}</td></tr>\n`;
      compiled[`seg-${i}`] = {
        html: block.repeat(Math.ceil(35_000 / block.length)),
        text: `Item ${i}\n`.repeat(500),
      };
    }
    const raw = JSON.stringify(compiled).length;
    expect(raw).toBeGreaterThan(400 * 1024);
    const pushed = await session.campaigns.push({
      campaignId: 'big-one',
      name: 'Big',
      fileName: 'big.yaml',
      source: 'id: big-one\n',
      templates: {},
      compiled,
      createdBy: 'test',
      now: NOW,
    });
    const stored = await session.campaigns.version('big-one', pushed.version);
    expect(stored?.compiled).toEqual(compiled);
  });

  it('refuses a version over the item limit with a message that names the campaign, and stores nothing', async () => {
    const source = `id: too-big\n# ${'x'.repeat(390 * 1024)}\n`;
    await expect(
      session.campaigns.push({
        campaignId: 'too-big',
        name: 'Too big',
        fileName: 'too-big.yaml',
        source,
        templates: {},
        createdBy: 'test',
        now: NOW,
      }),
    ).rejects.toThrow(
      /campaign too-big: this version is \d+ KB stored .* over the 380 KB .*nothing was stored/,
    );
    expect(await session.campaigns.head('too-big')).toBeUndefined();
  });

  it('pause takes a campaign out of the next run, resume puts it back; unknown ids are errors', async () => {
    await setCampaignPaused(session.campaigns, 'welcome', true, NOW);
    expect((await listCampaigns(session.campaigns)).find((r) => r.campaignId === 'welcome')!.paused).toBe(
      true,
    );
    // The campaigns a night runs next to a candidate: paused ones are left out (the same rule as Prepare).
    const preview = await previewCampaign(session, {
      file: 'examples/campaigns/birthday.yaml',
      runDate: TODAY,
      sample: 0,
      outDir: join(dir, 'previews'),
    });
    if (!preview.ok) throw new Error(preview.errors.join('\n'));
    expect(preview.report.otherCampaigns.map((c) => c.campaignId)).not.toContain('welcome');
    expect(preview.report.otherCampaigns.map((c) => c.campaignId)).toContain('at-risk-save');
    expect(preview.report.customers).toBe(0);

    await setCampaignPaused(session.campaigns, 'welcome', false, NOW);
    expect((await listCampaigns(session.campaigns)).find((r) => r.campaignId === 'welcome')!.paused).toBe(
      false,
    );
    await expect(setCampaignPaused(session.campaigns, 'nope', true, NOW)).rejects.toThrow(
      'no campaign "nope" is stored',
    );
  });
});

describe('retention campaigns push (spawned CLI)', () => {
  it('exits 1 with file:line:column errors and stores nothing when one of the files is invalid', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'retention-push-cli-'));
    const home = join(dir, 'home');
    try {
      // A stored version 1 of welcome, then a push of an edited welcome together with an invalid file.
      let session = await openLocalSession({ home });
      await pushCampaigns(session.campaigns, ['examples/campaigns/welcome.yaml'], {
        now: NOW,
        createdBy: 'test',
      });
      await session.close();
      mkdirSync(join(dir, 'campaigns'));
      copyFileSync('examples/brand.yaml', join(dir, 'brand.yaml'));
      const edited = join(dir, 'campaigns', 'welcome.yaml');
      writeFileSync(
        edited,
        readFileSync('examples/campaigns/welcome.yaml', 'utf8').replace('priority: 40', 'priority: 41'),
      );
      const bad = join(dir, 'bad.yaml');
      writeFileSync(bad, INVALID_CAMPAIGN);

      const r = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'cli/main.ts',
          'campaigns',
          'push',
          edited,
          bad,
          'examples/campaigns/birthday.yaml',
        ],
        { encoding: 'utf8', env: { ...process.env, RETENTION_HOME: home } },
      );
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toEqual([
        `${bad}:7:17: holdoutPercent: expected a holdout percentage from 0 to 50, found 80`,
        `${bad}:11:17: segments[0].audience: unknown field "clv12m" — did you mean "clv"?`,
        'nothing was stored',
      ]);

      session = await openLocalSession({ home });
      try {
        const rows = await listCampaigns(session.campaigns);
        expect(rows.map((row) => [row.campaignId, row.activeVersion, row.latestVersion])).toEqual([
          ['welcome', 1, 1],
        ]);
      } finally {
        await session.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
