import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReportHtml } from '../../cli/commands/reportHtml.js';
import { type LocalBrowser, launchChromium } from '../../cli/local/browser.js';
import { escapeHtml, renderReportPage } from '../../cli/report/reportPage.js';
import { sampleReport } from '../fixtures/report/sampleReport.js';

/** A blank page compresses to a few kilobytes; a page with charts does not. */
function pngIsNotBlank(png: Buffer): boolean {
  return png.length > 40_000 && png.subarray(1, 4).toString() === 'PNG';
}

describe('report --html page', () => {
  let local: LocalBrowser;
  beforeAll(async () => {
    local = await launchChromium();
  }, 30_000);
  afterAll(async () => {
    await local?.close();
  });

  async function open(html: string) {
    const page = await local.browser.newPage({ viewport: { width: 1120, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    await page.route('**/*', (route) => {
      requests.push(route.request().url());
      return route.abort();
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(html, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  it('loads offline with every chart as inline SVG and no request leaving the page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-html-'));
    const file = join(dir, 'report.html');
    writeReportHtml(sampleReport, file);
    const { page, requests, errors } = await open(readFileSync(file, 'utf8'));
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    // uplift + 4 funnels + attrition + stage flow + tracking
    expect(await page.locator('section svg').count()).toBe(8);
    expect(await page.locator('section svg path').count()).toBeGreaterThan(50);
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain('win-back');
    expect(text).toContain('at-risk-save <b>&amp;</b>');
    const png = await page.screenshot({ fullPage: true });
    expect(pngIsNotBlank(png)).toBe(true);
    writeFileSync('docs/images/report.png', png);
    await page.close();
  }, 60_000);

  it('says what is missing when sections are null', async () => {
    const html = renderReportPage({
      ...sampleReport,
      campaigns: [],
      goal: null,
      stageFlow: null,
      model: null,
    });
    const { page, requests, errors } = await open(html);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    expect(await page.locator('section svg').count()).toBe(0);
    expect(await page.locator('.empty').count()).toBe(5);
    await page.close();
  }, 30_000);

  it('escapes strings from data', () => {
    expect(escapeHtml('<script>"x" & \'y\'</script>')).not.toMatch(/[<>"']/);
    expect(renderReportPage(sampleReport)).not.toContain('<b>&amp;</b>');
  });
});
