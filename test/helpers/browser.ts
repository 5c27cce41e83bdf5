/**
 * Headless Chromium for UI tests (Debian's package, driven by playwright-core), and axe-core run
 * inside the page. axe is evaluated through the DevTools protocol, which the page's
 * Content-Security-Policy does not apply to: the policy under test stays exactly as served.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-sync'];

export function chromiumTitle(title: string): string {
  return hasChromium ? title : `${title} (SKIPPED: ${CHROMIUM} not found; install it with apt-get install -y chromium)`;
}

export async function launchChromium(): Promise<{ browser: Browser; close: () => Promise<void> }> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return { browser, close: () => browser.close() };
}

const require = createRequire(import.meta.url);
let axeSource: string | null = null;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; failureSummary?: string }>;
}

/** Runs axe-core on the page; returns violations of at least `minImpact` ('serious' by default). */
export async function axeViolations(page: Page, minImpact: 'minor' | 'moderate' | 'serious' | 'critical' = 'serious'): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = (await page.evaluate('typeof window.axe')) as string;
  if (loaded !== 'object') await page.evaluate(axeSource);
  const result = (await page.evaluate(`window.axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })) })))`)) as AxeViolation[];
  const order = ['minor', 'moderate', 'serious', 'critical'];
  return result.filter((v) => order.indexOf(v.impact ?? 'minor') >= order.indexOf(minImpact));
}

