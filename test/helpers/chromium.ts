// Where the browser tests find a Chromium: CHROMIUM_PATH, else Debian's /usr/bin/chromium (`apt-get install chromium`).
// playwright-core drives it; it downloads no browser of its own.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/** The Chromium to drive, or null when there is none. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const given = env.CHROMIUM_PATH?.trim();
  if (given) return existsSync(given) ? given : null;
  return existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : null;
}

/** The flags of every run: headless, no sandbox (root in CI), nothing that reaches the network on its own. */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh browser with its own user data dir, removed at close. */
export async function launchChromium(executablePath: string): Promise<Browser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'cwp-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: CHROMIUM_FLAGS, timeout: 60_000 });
  // A wait that fails says what it waited for before jest's own timeout of the test.
  context.setDefaultTimeout(15_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
