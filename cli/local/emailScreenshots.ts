// Headless Chromium screenshots of rendered sample emails, at phone and desktop width, light and dark,
// so a person can look at them before launch. Image requests under the brand's preview assetsUrl are
// answered from a local folder; every other request is refused (the pages must render offline).
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { launchChromium } from './browser.js';

export const SCREENSHOT_VIEWS = [
  { name: 'phone-light', width: 375, colorScheme: 'light' },
  { name: 'phone-dark', width: 375, colorScheme: 'dark' },
  { name: 'desktop-light', width: 1200, colorScheme: 'light' },
  { name: 'desktop-dark', width: 1200, colorScheme: 'dark' },
] as const;

export interface PreviewAssets {
  /** https URL prefix the templates use for images. */
  url: string;
  /** Local folder holding the same files. */
  dir: string;
}

export interface EmailScreenshot {
  view: (typeof SCREENSHOT_VIEWS)[number]['name'];
  path: string;
}

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** Takes the four screenshots of each HTML file; returns them in file order. One browser for all. */
export async function screenshotEmails(
  emails: ReadonlyArray<{ htmlPath: string; stem: string }>,
  assets: PreviewAssets | undefined,
): Promise<EmailScreenshot[][]> {
  const local = await launchChromium();
  try {
    const out: EmailScreenshot[][] = [];
    for (const email of emails) {
      const html = await readFile(email.htmlPath, 'utf8');
      const shots: EmailScreenshot[] = [];
      for (const view of SCREENSHOT_VIEWS) {
        const page = await local.browser.newPage({ viewport: { width: view.width, height: 800 } });
        await page.route('**/*', async (route) => {
          const url = route.request().url();
          if (assets && url.startsWith(assets.url)) {
            const rel = normalize(decodeURIComponent(url.slice(assets.url.length).split('?')[0]!));
            if (!rel.startsWith('..')) {
              try {
                const body = await readFile(join(assets.dir, rel));
                await route.fulfill({
                  body,
                  contentType: MIME[extname(rel).toLowerCase()] ?? 'application/octet-stream',
                });
                return;
              } catch {
                // Missing file: refused like any other request, so the screenshot shows the alt text.
              }
            }
          }
          await route.abort();
        });
        await page.emulateMedia({ colorScheme: view.colorScheme });
        await page.setContent(html, { waitUntil: 'load' });
        const path = `${email.stem}.${view.name}.png`;
        await page.screenshot({ path, fullPage: true });
        await page.close();
        shots.push({ view: view.name, path });
      }
      out.push(shots);
    }
    return out;
  } finally {
    await local.close();
  }
}
