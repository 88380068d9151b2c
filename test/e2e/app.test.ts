// End to end: `uhf serve` (real recon worker) driven by Debian's Chromium through
// playwright-core. Runs the built-in demo (simulated 7 T fMRI raw data → recon →
// GLM), then asserts on real pixels: the overlay colour is present where the
// simulator put the activation and absent far from it; the time course has one
// point per frame with the GLM fit; the 2D views match baselines with a tolerance.
//
// UPDATE_BASELINES=1 rewrites test/e2e/baselines/*.png; UPDATE_SCREENSHOTS=1 writes
// the screenshots of docs/APP.md into docs/screenshots/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pixelmatch from 'pixelmatch';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureRendererBuilt } from '../../recon/serve/renderer-build.ts';
import { serveApp, type ServeApp } from '../../recon/serve/serve-app.ts';
import { E2E } from './tolerances.ts';

const CHROMIUM = process.env['UHF_CHROMIUM'] ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const BASELINES = new URL('./baselines/', import.meta.url);
const SHOTS = new URL('../../docs/screenshots/', import.meta.url);
type Vec3 = [number, number, number];

// The page's globals, as far as the callbacks run in the browser (page.evaluate) use them;
// declared in this module only (the Node-side tsconfig has no DOM library).
interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  data?: { name: string; x: unknown[] }[];
  querySelectorAll(selector: string): { length: number };
}
declare const window: { __uhf: { viewer: { redraw(): void; crosshair: number[]; worldToClient(o: string, w: number[]): { x: number; y: number } | null } } };
declare const document: { getElementById(id: string): PageElement | null };

if (!HAVE_CHROMIUM) console.warn(`\n*** E2E SKIPPED: no Chromium at ${CHROMIUM} (apt install chromium, or set UHF_CHROMIUM) ***\n`);

let app: ServeApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let cacheDir: string;

/** Is this pixel the overlay's colour (hot map: red → yellow over gray anatomy)? Crosshair is green. */
function isOverlay(r: number, g: number, b: number): boolean {
  return r >= 150 && b <= 110 && r - b >= 100 && g <= r;
}

async function viewShot(view: string): Promise<{ png: PNG; box: { x: number; y: number; width: number; height: number } }> {
  await page.evaluate(() => window.__uhf.viewer.redraw());
  const loc = page.locator(`.view[data-view="${view}"] .view-canvas`);
  const box = (await loc.boundingBox())!;
  return { png: PNG.sync.read(await loc.screenshot()), box };
}

async function clientOf(view: string, w: Vec3): Promise<{ x: number; y: number }> {
  const p = await page.evaluate(([v, world]) => window.__uhf.viewer.worldToClient(v as string, world as number[]), [view, w] as const);
  if (!p) throw new Error(`no plane for ${view}`);
  return p;
}

async function crosshair(): Promise<Vec3> {
  return page.evaluate(() => [...window.__uhf.viewer.crosshair] as Vec3);
}

async function mmPerPixel(view: string): Promise<number> {
  const a = await clientOf(view, [0, 0, 0]);
  const b = await clientOf(view, view === 'sagittal' ? [0, 10, 0] : [10, 0, 0]);
  return 10 / Math.hypot(b.x - a.x, b.y - a.y);
}

/** Overlay-coloured pixels within radiusMm of a world point in a view. */
async function overlayPixelsNear(view: string, w: Vec3, radiusMm: number): Promise<number> {
  const { png, box } = await viewShot(view);
  const c = await clientOf(view, w);
  const r = radiusMm / (await mmPerPixel(view));
  const cx = c.x - box.x;
  const cy = c.y - box.y;
  let n = 0;
  for (let y = Math.max(0, Math.floor(cy - r)); y <= Math.min(png.height - 1, Math.ceil(cy + r)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x <= Math.min(png.width - 1, Math.ceil(cx + r)); x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) continue;
      const i = 4 * (y * png.width + x);
      if (isOverlay(png.data[i]!, png.data[i + 1]!, png.data[i + 2]!)) n++;
    }
  }
  return n;
}

describe.skipIf(!HAVE_CHROMIUM)('app in Chromium against uhf serve', () => {
  beforeAll(async () => {
    // A stable cache folder: the simulated run is reused by later local runs (CI starts fresh).
    cacheDir = join(tmpdir(), 'uhf-e2e-cache');
    process.env['XDG_CACHE_HOME'] = cacheDir;
    const rendererDir = await ensureRendererBuilt((l) => console.log(`e2e: ${l}`));
    app = await serveApp({ rendererDir });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--enable-unsafe-webgpu'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, E2E.setupMs);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('runs the demo from the welcome screen: raw data → recon → GLM', async () => {
    await page.goto(app.url);
    await page.waitForSelector('body[data-ready="true"]');
    // Fixed view sizes, whatever the toolbar's font metrics: the baselines compare like with like.
    await page.addStyleTag({ content: '#views { flex: 0 0 540px !important; }' });
    expect(await page.locator('#welcome').isVisible()).toBe(true);
    await page.click('#welcome-demo');
    await page.waitForSelector('body[data-recon="done"], body[data-recon="failed"]', { timeout: E2E.demoMs });
    expect(await page.getAttribute('body', 'data-recon')).toBe('done');
    await page.waitForSelector('body[data-glm="done"], body[data-glm="failed"]', { timeout: E2E.demoMs });
    expect(await page.getAttribute('body', 'data-glm')).toBe('done');
    expect(await page.getAttribute('body', 'data-overlay')).toBe('glm');
    expect(await page.textContent('#recon-file')).toBe('7t-fmri.h5');
    expect(await page.textContent('#ov-kind')).toMatch(/^GLM z map: contrast task/);
    expect(await page.textContent('#status-text')).toMatch(/cluster/);
    expect(pageErrors).toEqual([]);
  }, E2E.demoMs * 2);

  it('shows the overlay colour where the simulator placed the activation, not far from it', async () => {
    const truth = JSON.parse(readFileSync(join(cacheDir, 'uhf-workbench', 'demo', '7t-fmri_truth.json'), 'utf8')) as { activations: { centre: Vec3; radiusMm: number }[] };
    const act = truth.activations[0]!;
    const c = act.centre;
    // Move the crosshair as a user does: click the coronal view (sets x and z), then the axial view (x and y).
    const now = await crosshair();
    const onCoronal = await clientOf('coronal', [c[0], now[1], c[2]]);
    await page.mouse.click(onCoronal.x, onCoronal.y);
    const onAxial = await clientOf('axial', [c[0], c[1], c[2]]);
    await page.mouse.click(onAxial.x, onAxial.y);
    const at = await crosshair();
    for (let d = 0; d < 3; d++) expect(Math.abs(at[d]! - c[d]!)).toBeLessThan(E2E.crosshairMm);

    const near = await overlayPixelsNear('axial', c, act.radiusMm * 0.75);
    expect(near).toBeGreaterThan(E2E.minOverlayPixels);
    // Far from every activation (anterior midline, in the head): no overlay colour at all.
    const far: Vec3 = [0, 35, c[2]];
    for (const a of truth.activations) expect(Math.hypot(a.centre[0] - far[0], a.centre[1] - far[1])).toBeGreaterThan(40);
    expect(await overlayPixelsNear('axial', far, act.radiusMm * 0.75)).toBe(0);
    // And on the coronal view through the same centre.
    expect(await overlayPixelsNear('coronal', c, act.radiusMm * 0.75)).toBeGreaterThan(E2E.minOverlayPixels);
    // The readout names the voxel and its z.
    expect(await page.textContent('#readout')).toMatch(/voxel \[\d+, \d+, \d+\].*z \d/);
  }, 60_000);

  it('plots the time course at the crosshair: one point per frame, the GLM fit, the conditions shaded', async () => {
    await page.waitForFunction(() => document.getElementById('plot-timecourse')?.dataset['points'] === '50');
    const plot = await page.evaluate(() => {
      const el = document.getElementById('plot-timecourse')!;
      return { traces: (el.data ?? []).map((t) => ({ name: t.name, n: t.x.length })), markers: el.querySelectorAll('.scatterlayer .trace:first-child .points path').length, shaded: el.querySelectorAll('.shapelayer path').length };
    });
    expect(plot.traces[0]).toEqual({ name: 'data', n: 50 });
    expect(plot.traces[1]).toEqual({ name: 'GLM fit', n: 50 });
    expect(plot.markers).toBe(50);
    expect(plot.shaded).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#plot-design .heatmaplayer').count()).toBe(1);
  }, 30_000);

  it('draws the 2D views as in the baselines (with a tolerance)', async () => {
    mkdirSync(BASELINES, { recursive: true });
    const update = process.env['UPDATE_BASELINES'] === '1';
    for (const view of ['axial', 'coronal', 'sagittal']) {
      const { png } = await viewShot(view);
      const file = new URL(`${view}.png`, BASELINES);
      if (update || !existsSync(file)) {
        writeFileSync(file, PNG.sync.write(png));
        console.warn(`e2e: wrote baseline ${file.pathname}`);
        continue;
      }
      const base = PNG.sync.read(readFileSync(file));
      expect([png.width, png.height], `${view} size`).toEqual([base.width, base.height]);
      const diff = pixelmatch(png.data, base.data, undefined, png.width, png.height, { threshold: E2E.pixelThreshold });
      expect(diff / (png.width * png.height), `${view}: ${diff} pixels differ`).toBeLessThan(E2E.maxDiffFraction);
    }
    if (process.env['UPDATE_SCREENSHOTS'] === '1') await docScreenshots();
  }, 30_000);

  it('saves a PNG screenshot of a view', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('button.shot[data-shot="coronal"]')]);
    expect(download.suggestedFilename()).toMatch(/^7t-fmri_coronal_.*\.png$/);
    const shot = PNG.sync.read(readFileSync((await download.path())!));
    expect(shot.width).toBeGreaterThan(100);
    expect(shot.height).toBeGreaterThan(100);
  }, 30_000);

  it('saves the workspace and restores it after a reload', async () => {
    const saved = await crosshair();
    await page.click('#btn-ws-save');
    await page.waitForSelector('#file-dialog[open]');
    await page.fill('#fd-name', 'e2e.uhf.json');
    await page.click('#fd-ok');
    await page.waitForFunction(() => /workspace saved/.test(document.getElementById('status-text')?.textContent ?? ''), undefined, { timeout: 30_000 });
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await page.addStyleTag({ content: '#views { flex: 0 0 540px !important; }' });
    await page.click('#btn-ws-load');
    await page.waitForSelector('#file-dialog[open] li[data-path$="e2e.uhf.json"]');
    await page.click('#file-dialog li[data-path$="e2e.uhf.json"]');
    await page.click('#fd-ok');
    await page.waitForFunction(() => /restored/.test(document.getElementById('status-text')?.textContent ?? ''), undefined, { timeout: 30_000 });
    const back = await crosshair();
    for (let d = 0; d < 3; d++) expect(back[d]).toBeCloseTo(saved[d]!, 3);
    expect(await page.getAttribute('body', 'data-overlay')).toBe('stat');
    expect(await overlayPixelsNear('axial', back, 5)).toBeGreaterThan(E2E.minOverlayPixels / 2);
  }, 60_000);

  it('flips left and right for the neurological display', async () => {
    const c = await crosshair();
    const off: Vec3 = [c[0] + 20, c[1], c[2]];
    const before = (await clientOf('axial', off)).x - (await clientOf('axial', c)).x;
    await page.locator('#view-axial').hover();
    await page.keyboard.press('r');
    await page.waitForSelector('body[data-orientation="neurological"]');
    await page.evaluate(() => window.__uhf.viewer.redraw());
    const after = (await clientOf('axial', off)).x - (await clientOf('axial', c)).x;
    expect(Math.abs(before)).toBeGreaterThan(10);
    expect(Math.sign(after)).toBe(-Math.sign(before));
    expect(await page.textContent('.view[data-view="axial"] .side.left')).toBe('L');
    await page.keyboard.press('r');
  }, 30_000);
});

/** The screenshots of docs/APP.md, made from this run. */
async function docScreenshots(): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.evaluate(() => window.__uhf.viewer.redraw());
  await page.screenshot({ path: new URL('app-demo.png', SHOTS).pathname });
  await page.locator('#views').screenshot({ path: new URL('viewer.png', SHOTS).pathname });
  await page.locator('#plots').screenshot({ path: new URL('plots.png', SHOTS).pathname });
  await page.locator('#sidebar').screenshot({ path: new URL('panels.png', SHOTS).pathname });
  await page.click('.tabs button[data-tab="recon"]');
  await page.locator('#plots').screenshot({ path: new URL('recon-times.png', SHOTS).pathname });
  await page.click('.tabs button[data-tab="histogram"]');
  await page.locator('#plots').screenshot({ path: new URL('histogram.png', SHOTS).pathname });
  await page.click('.tabs button[data-tab="design"]');
}
