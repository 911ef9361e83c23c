import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../cli/local/browser.js';
import { readCampaignFile } from '../../cli/local/campaigns.js';
import { screenshotEmails } from '../../cli/local/emailScreenshots.js';
import { parseBrandSource } from '../../functions/domain/campaigns/brand.js';
import { compileCampaign } from '../../functions/domain/campaigns/compile.js';
import { compileMjmlEmail } from '../../functions/domain/campaigns/compileEmail.js';
import { renderOffer } from '../../functions/domain/campaigns/render.js';
import { appendHtmlFooter } from '../../functions/domain/campaigns/templates.js';
import { formatCampaignError, validateCampaign } from '../../functions/domain/campaigns/validate.js';
import { subject } from '../functions/domain/campaigns/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'rp-shots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const footer = {
  unsubscribeUrl: 'https://shop.example.com/u/tok',
  postalAddress: 'Config 1',
  senderName: 'Config',
};
const assets = { url: 'https://assets.harborandpine.example/email/', dir: 'examples/assets' };

/** PNG width and height from the IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/** Runs in the page, where Chromium's own decoder reads the PNGs (no DOM types in this project). */
const PIXEL_STATS = `async (images) => {
  const out = [];
  for (const src of images) {
    const img = new Image();
    img.src = 'data:image/png;base64,' + src;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.width;
    canvas.height = img.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, img.width, img.height).data;
    let sum = 0;
    let sq = 0;
    const n = data.length / 4;
    for (let i = 0; i < data.length; i += 4) {
      const y = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
      sum += y;
      sq += y * y;
    }
    const mean = sum / n;
    out.push({ mean, sd: Math.sqrt(sq / n - mean * mean) });
  }
  return out;
}`;

/** Mean luminance and its standard deviation over each screenshot's pixels. */
async function pixelStats(pngs: Buffer[]): Promise<Array<{ mean: number; sd: number }>> {
  const local = await launchChromium();
  try {
    const page = await local.browser.newPage();
    const images = JSON.stringify(pngs.map((p) => p.toString('base64')));
    return (await page.evaluate(`(${PIXEL_STATS})(${images})`)) as Array<{ mean: number; sd: number }>;
  } finally {
    await local.close();
  }
}

describe('email screenshots', () => {
  it('takes phone and desktop screenshots, light and dark, of an example email; none is blank', async () => {
    const loaded = await readCampaignFile('examples/campaigns/at-risk-save.yaml');
    const result = await validateCampaign(loaded.source, loaded.file, {
      readTemplateFile: (p) => loaded.templates[p],
    });
    if (!result.ok) throw new Error(result.errors.map(formatCampaignError).join('\n'));
    const rendered = renderOffer(compileCampaign(result.campaign), 'high-value', subject(), footer, {
      runDate: '2025-06-01',
    });
    const htmlPath = join(dir, 'at-risk.html');
    writeFileSync(htmlPath, rendered.html);
    const [shots] = await screenshotEmails([{ htmlPath, stem: join(dir, 'at-risk') }], assets);
    expect(shots!.map((s) => s.view)).toEqual(['phone-light', 'phone-dark', 'desktop-light', 'desktop-dark']);
    const pngs = shots!.map((s) => readFileSync(s.path));
    expect(pngs.map((p) => pngSize(p).width)).toEqual([375, 375, 1200, 1200]);
    for (const p of pngs) expect(pngSize(p).height).toBeGreaterThan(900);
    const stats = await pixelStats(pngs);
    // Not blank: a real email has text, images and a card on a background.
    for (const s of stats) expect(s.sd).toBeGreaterThan(25);
    // Dark mode really applies: the dark screenshots are much darker than the light ones.
    expect(stats[1]!.mean).toBeLessThan(stats[0]!.mean - 60);
    expect(stats[3]!.mean).toBeLessThan(stats[2]!.mean - 60);
  }, 60_000);

  it('the system footer stays visible when the template hides every element it can reach', async () => {
    const brandResult = parseBrandSource(readFileSync('examples/brand.yaml', 'utf8'), 'brand.yaml');
    if (!brandResult.ok) throw new Error('brand');
    // A comment left open would swallow the closing markup and the footer with it: refused.
    const open = await compileMjmlEmail({
      source:
        '<mjml><mj-body><mj-section><mj-column><mj-raw><!-- </mj-raw></mj-column></mj-section></mj-body></mjml>',
      layout: 'base',
      brand: brandResult.brand,
    });
    expect(open.ok ? [] : open.problems.map((p) => p.message)).toContain(
      'HTML comment "<!--" is never closed (it would hide the footer)',
    );
    // A whole MJML document of its own, with CSS that hides every div, p, a and table.
    const own = await compileMjmlEmail({
      source:
        '<mjml><mj-head><mj-style>div,p,a,table,body>*{display:none!important;visibility:hidden!important;opacity:0!important;font-size:0!important}</mj-style></mj-head>' +
        '<mj-body><mj-section><mj-column><mj-text>Hi</mj-text></mj-column></mj-section></mj-body></mjml>',
      layout: 'base',
      brand: brandResult.brand,
    });
    if (!own.ok) throw new Error(JSON.stringify(own.problems));
    const html = appendHtmlFooter(own.html, { ...footer, style: { fontFamily: 'Arial', color: '#6b7478' } });
    const local = await launchChromium();
    try {
      const page = await local.browser.newPage({ viewport: { width: 375, height: 800 } });
      await page.setContent(html);
      const link = page.getByRole('link', { name: 'Unsubscribe' });
      expect(await link.isVisible()).toBe(true);
      const box = await link.boundingBox();
      expect(box!.height).toBeGreaterThan(8);
      expect(await page.getByText('Config 1').isVisible()).toBe(true);
    } finally {
      await local.close();
    }
  }, 60_000);
});
