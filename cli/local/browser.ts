import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Headless Chromium from the system (Debian's `chromium` package): playwright-core never downloads a browser,
 * so the executable must already be on the machine. `.ci/run` installs it.
 */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

export class ChromiumMissingError extends Error {
  constructor() {
    super(
      'headless Chromium was not found (looked in CHROMIUM_PATH and /usr/bin/chromium): install Debian\'s "chromium" package (apt-get install chromium)',
    );
    this.name = 'ChromiumMissingError';
  }
}

export interface LocalBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * The flags keep Chromium off the network entirely (this machine has none, and pages we render must be
 * self-contained): no background networking, component updates, sync or QUIC. Playwright gives each launch a
 * fresh temporary profile of its own.
 */
export async function launchChromium(env: NodeJS.ProcessEnv = process.env): Promise<LocalBrowser> {
  const executablePath = findChromium(env);
  if (!executablePath) throw new ChromiumMissingError();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
    },
  };
}
