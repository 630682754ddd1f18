// Browser test of the byrum map viewer, in headless Chromium (Debian's
// /usr/bin/chromium, or env CHROMIUM) driven by playwright-core.
//
//   node test/browser.mjs OUT_DIR SCREENSHOT.png
//
// Opens OUT_DIR/index.html from file:// and then from `python3 -m
// http.server`, and fails (exit 1) unless, each time: no console errors,
// page errors or failed requests; the first bin's heatmap tiles load;
// switching to two other time bins by clicking the buttons loads those bins'
// tiles and restyles the Gi* cells to the bin's classes; every layer in
// viewer/data.js drew one SVG shape per feature; a layer toggles off and on in
// the layers control; clicking a place opens a popup with its numbers. Then it
// saves a 1280×800 screenshot of a time bin with heat.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [outArg, shotArg] = process.argv.slice(2);
if (!outArg || !shotArg) {
  console.error('usage: node test/browser.mjs OUT_DIR SCREENSHOT.png');
  process.exit(2);
}
const outDir = resolve(outArg);
const shot = resolve(shotArg);
if (!existsSync(join(outDir, 'index.html'))) {
  console.error(`FAIL: no index.html in ${outDir} (run byrum's report first)`);
  process.exit(1);
}
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const TIMEOUT = 20000;

class Failure extends Error {}
function check(cond, msg) {
  if (!cond) throw new Failure(msg);
}

/// Starts `python3 -m http.server` on a free loopback port; its URL and process.
async function serve(dir) {
  const py = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise((ok, fail) => {
    let text = '';
    const timer = setTimeout(() => fail(new Failure('python3 -m http.server did not start')), 10000);
    py.stdout.on('data', (d) => {
      text += d;
      const m = /port (\d+)/.exec(text);
      if (m) { clearTimeout(timer); ok(Number(m[1])); }
    });
    py.stderr.on('data', () => {}); // request log
    py.on('exit', (code) => { clearTimeout(timer); fail(new Failure(`python3 -m http.server exited (${code})`)); });
  });
  return { url: `http://127.0.0.1:${port}/index.html`, proc: py };
}

/// All checks on one page load; `screenshot` saves the picture at the end.
async function checkViewer(context, url, screenshot) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`); });
  const noProblems = (when) => check(problems.length === 0, `${when}: ${problems.join('; ')}`);

  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.byrumViewer !== undefined, null, { timeout: TIMEOUT })
    .catch(() => { throw new Failure(`the viewer did not start (${problems.join('; ') || 'no error reported'})`); });
  noProblems('after load');

  const data = await page.evaluate(() => {
    const D = window.BYRUM_DATA;
    return {
      bins: D.bins,
      tileSets: D.tile_sets.map((s) => ({ bin: s.bin, path: s.path, n: s.tiles.length })),
      layers: D.layers.map((l) => ({ name: l.name, features: l.geojson.features.length })),
      panes: window.byrumViewer.panes,
      titles: window.byrumViewer.titles,
    };
  });
  check(!data.layers.some((l) => l.name === 'incidents'), 'raw incident points are in the viewer');
  const setOf = Object.fromEntries(data.tileSets.map((s) => [s.bin, s]));

  // Tiles of the shown bin: loaded images from its folder, none from others.
  async function tilesOf(bin) {
    const set = setOf[bin];
    await page.waitForFunction((prefix) => {
      const imgs = Array.from(document.querySelectorAll('.byrum-heat img.leaflet-tile'));
      const ok = imgs.filter((i) => i.classList.contains('leaflet-tile-loaded') && i.naturalWidth > 0 &&
        i.getAttribute('src').startsWith(prefix));
      return ok.length > 0 && imgs.every((i) => i.complete);
    }, set.path + '/', { timeout: TIMEOUT }).catch(() => {
      throw new Failure(`no heatmap tile of ${bin} loaded (${set.path}/)`);
    });
    return page.evaluate((prefix) => {
      const imgs = Array.from(document.querySelectorAll('.byrum-heat img.leaflet-tile-loaded'))
        .filter((i) => i.naturalWidth > 0 && getComputedStyle(i.parentElement).visibility !== 'hidden');
      return { mine: imgs.filter((i) => i.getAttribute('src').startsWith(prefix)).length, all: imgs.length };
    }, set.path + '/');
  }

  // The Gi* cells' colours against the bin's classes in the data, feature by feature.
  async function gistarMatches(bin) {
    return page.evaluate(({ bin, pane }) => {
      const g = window.BYRUM_DATA.layers.find((l) => l.name === 'gistar_h3');
      const key = bin === 'all' ? 'class' : `class_${bin}`;
      const want = g.geojson.features.map((f) => window.byrumViewer.classColour(f.properties[key]) || 'none');
      const got = Array.from(document.querySelectorAll(`.${pane} path`)).map((p) =>
        Number(p.getAttribute('fill-opacity')) > 0 ? p.getAttribute('fill') : 'none');
      return { ok: JSON.stringify(want) === JSON.stringify(got), sig: got.join(','), hot: want.filter((c) => c !== 'none').length };
    }, { bin, pane: data.panes.gistar_h3 });
  }

  const paths = (name) => page.locator(`.${data.panes[name]} path`).count();
  const checkbox = (title) => page.locator('.leaflet-control-layers-overlays label', { hasText: title })
    .locator('input[type=checkbox]');

  // The first bin.
  const first = await page.evaluate(() => window.byrumViewer.bin());
  check(first === data.bins[0] || data.bins.length === 0, `the page starts at ${first}, not ${data.bins[0]}`);
  let gistarSig = null;
  if (setOf[first] && setOf[first].n > 0) {
    const t = await tilesOf(first);
    console.log(`  ${first}: ${t.mine} heatmap tiles loaded`);
  } else {
    console.log(`  ${first}: no heatmap tiles in this output`);
  }

  // Every layer drew one shape per feature (turned on first where it starts off).
  const startedOff = [];
  for (const l of data.layers) {
    const box = checkbox(data.titles[l.name]);
    check(await box.count() === 1, `no layers-control entry for ${l.name}`);
    if (!(await box.isChecked())) {
      startedOff.push(l.name);
      await box.click();
    }
    const n = await paths(l.name);
    check(n === l.features, `${l.name}: ${n} shapes drawn for ${l.features} features`);
    console.log(`  layer ${l.name}: ${n} features drawn`);
  }
  if (data.panes.gistar_h3) {
    const g = await gistarMatches(first);
    check(g.ok, `Gi* cells are not coloured by the classes of ${first}`);
    gistarSig = g.sig;
  }

  // Toggle a layer off and on.
  const toggled = data.layers.find((l) => l.name === 'places') || data.layers[0];
  if (toggled) {
    const box = checkbox(data.titles[toggled.name]);
    await box.click();
    check(!(await box.isChecked()) && (await paths(toggled.name)) === 0, `${toggled.name} did not turn off`);
    await box.click();
    check((await box.isChecked()) && (await paths(toggled.name)) === toggled.features, `${toggled.name} did not turn back on`);
    console.log(`  layer ${toggled.name}: off and on again`);
  }

  // Two other bins, by clicking the hour and season buttons: the busiest
  // (most incidents in the Gi* cells' per-bin counts, then most tiles), with
  // different hours.
  const busy = await page.evaluate(() => {
    const g = window.BYRUM_DATA.layers.find((l) => l.name === 'gistar_h3');
    const n = {};
    for (const f of g ? g.geojson.features : []) {
      for (const [key, v] of Object.entries(f.properties)) {
        if (key.startsWith('count_') && typeof v === 'number') n[key.slice(6)] = (n[key.slice(6)] || 0) + v;
      }
    }
    return n;
  });
  const candidates = data.tileSets.filter((s) => s.bin !== first && s.bin.includes('_') && s.n > 0)
    .sort((a, b) => (busy[b.bin] || 0) - (busy[a.bin] || 0) || b.n - a.n || (a.bin < b.bin ? -1 : 1));
  const picked = [];
  for (const s of candidates) {
    if (picked.length < 2 && !picked.some((p) => p.bin.split('_')[0] === s.bin.split('_')[0])) picked.push(s);
  }
  check(data.tileSets.filter((s) => s.n > 0).length <= 1 || picked.length >= 2, 'fewer than two other time bins with tiles');
  const sigs = new Set(gistarSig ? [gistarSig] : []);
  for (const s of picked) {
    const i = s.bin.indexOf('_');
    const [hour, season] = [s.bin.slice(0, i), s.bin.slice(i + 1)];
    await page.click(`button[data-hour="${hour}"]`);
    await page.click(`button[data-season="${season}"]`);
    const now = await page.evaluate(() => document.getElementById('map').getAttribute('data-bin'));
    check(now === s.bin, `clicking ${hour} and ${season} shows ${now}, not ${s.bin}`);
    check(await page.locator(`button[data-hour="${hour}"][aria-pressed="true"]`).count() === 1, `the ${hour} button is not pressed`);
    const t = await tilesOf(s.bin);
    check(t.mine === t.all, `${s.bin}: ${t.all - t.mine} visible tiles are from another bin`);
    let line = `  ${s.bin}: ${t.mine} heatmap tiles loaded`;
    if (data.panes.gistar_h3) {
      const g = await gistarMatches(s.bin);
      check(g.ok, `Gi* cells are not coloured by the classes of ${s.bin}`);
      sigs.add(g.sig);
      line += `, ${g.hot} significant Gi* cells`;
    }
    console.log(line);
  }
  if (data.panes.gistar_h3 && picked.length >= 2) {
    check(sigs.size >= 2, 'the Gi* cells look the same in every bin visited: restyling not shown');
  }

  // Click a place (at a point where it is the top shape): a popup with its numbers.
  if (data.panes.places) {
    const spot = await page.evaluate((pane) => {
      const paths = Array.from(document.querySelectorAll(`.${pane} path`));
      for (let idx = 0; idx < paths.length; idx++) {
        const r = paths[idx].getBoundingClientRect();
        for (let fy = 0.5; fy < 1; fy += 0.1) {
          for (const y of [r.top + r.height * fy, r.top + r.height * (1 - fy)]) {
            for (let fx = 0.1; fx < 1; fx += 0.1) {
              const x = r.left + r.width * fx;
              if (document.elementFromPoint(x, y) === paths[idx]) return { idx, x, y };
            }
          }
        }
      }
      return null;
    }, data.panes.places);
    check(spot !== null, 'no place can be clicked (every place is covered by other shapes)');
    await page.mouse.click(spot.x, spot.y);
    const popup = page.locator('.leaflet-popup-content');
    await popup.waitFor({ state: 'visible', timeout: TIMEOUT }).catch(() => {
      throw new Failure('clicking a place opened no popup');
    });
    const text = await popup.innerText();
    const want = await page.evaluate((idx) => {
      const p = window.BYRUM_DATA.layers.find((l) => l.name === 'places').geojson.features[idx].properties;
      return { name: p.name || p.id || '', count: p.count === null ? 'withheld' : p.count.toLocaleString('en-US') };
    }, spot.idx);
    check(text.includes(want.name), `the place popup does not name ${want.name}: ${text}`);
    check(text.includes(want.count), `the place popup lacks its count ${want.count}: ${text}`);
    check(/this time/.test(text), `the place popup lacks the chosen time's numbers: ${text}`);
    console.log(`  place popup: ${want.name}, count ${want.count}`);
    await page.keyboard.press('Escape');
    await page.click('.leaflet-popup-close-button').catch(() => {});
  }

  noProblems('while using the page');

  if (screenshot) {
    // The page as it opens: layers that start off go off again.
    for (const name of startedOff) await checkbox(data.titles[name]).click();
    // The busiest bin (most tiles), hour × season, for the picture.
    const best = picked[0];
    if (best) {
      const i = best.bin.indexOf('_');
      await page.click(`button[data-hour="${best.bin.slice(0, i)}"]`);
      await page.click(`button[data-season="${best.bin.slice(i + 1)}"]`);
      await tilesOf(best.bin);
    }
    await page.waitForTimeout(400); // fade-in of the tiles
    await page.screenshot({ path: screenshot });
    console.log(`  screenshot of ${best ? best.bin : first}: ${screenshot}`);
  }
  noProblems('at the end');
  await page.close();
}

const profile = mkdtempSync(join(tmpdir(), 'byrum-viewer-chromium-'));
let context = null;
let server = null;
let status = 0;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  const fileUrl = pathToFileURL(join(outDir, 'index.html')).href;
  console.log(`viewer test: ${fileUrl}`);
  await checkViewer(context, fileUrl, shot);
  server = await serve(outDir);
  console.log(`viewer test: ${server.url} (python3 -m http.server)`);
  await checkViewer(context, server.url, null);
  console.log('viewer test: passed');
} catch (e) {
  console.error(`viewer test FAILED: ${e instanceof Failure ? e.message : e.stack || e}`);
  status = 1;
} finally {
  if (server) server.proc.kill();
  if (context) await context.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.exit(status);
