// Draws the extension icons (16/32/48/128 px PNGs in extension/public/icon/) from one SVG, with
// Chromium's own renderer: `node --import tsx scripts/make-icons.ts`. The PNGs are committed.
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'extension/public/icon');

// A keyhole cut out of a rounded square; thicker proportions at 16 px so it stays legible.
function svg(size: number): string {
  const small = size <= 16;
  const r = small ? 3.2 : 3.6;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 16 16">
  <defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">
    <stop offset="0" stop-color="#3d6af2"/><stop offset="1" stop-color="#1f44b8"/></linearGradient></defs>
  <rect x="0.5" y="0.5" width="15" height="15" rx="3.5" fill="url(#g)"/>
  <circle cx="8" cy="6.2" r="${small ? 2.6 : 2.4}" fill="#fff"/>
  <path d="M${8 - r / 2} 7 L${8 + r / 2} 7 L${8 + r / 2 + 0.6} 12.6 L${8 - r / 2 - 0.6} 12.6 Z" fill="#fff"/>
</svg>`;
}

const browser = await chromium.launch({
  executablePath: process.env.KEYHOLE_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
mkdirSync(OUT, { recursive: true });
for (const size of [16, 32, 48, 128]) {
  const page = await browser.newPage({ viewport: { width: size, height: size } });
  await page.setContent(
    `<html><body style="margin:0;background:transparent">${svg(size)}</body></html>`,
  );
  await page.screenshot({ path: join(OUT, `${size}.png`), omitBackground: true });
  await page.close();
}
await browser.close();
console.log(`icons written to ${OUT}`);
