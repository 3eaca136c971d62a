// Browser check of a notebook's ipywidgets in a real JupyterLab (not part of `make test`: needs Chromium and Node).
// Usage:
//   apt-get install chromium && npm install --prefix /tmp/pw playwright-core
//   .venv/bin/jupyter lab --no-browser --port 8897 --ServerApp.token=t --LabApp.expose_app_in_browser=True &
//   NODE_PATH=/tmp/pw/node_modules node scripts/widget_check.js source/q02_train_eval/q02_train_eval.ipynb
// Runs all cells, waits for the first slider, prints what rendered, moves the slider and checks that the figure is
// redrawn; screenshots go to /tmp/pw/widget.png and /tmp/pw/widget2.png.
const { chromium } = require('playwright-core');
(async () => {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const nb = process.argv[2];
  await page.goto(`http://127.0.0.1:8897/lab/tree/${nb}?token=t`);
  await page.waitForFunction(() => window.jupyterapp && document.querySelector('.jp-Notebook'), null, { timeout: 60000 });
  await page.waitForTimeout(5000);
  await page.evaluate(() => window.jupyterapp.commands.execute('notebook:run-all-cells'));
  // wait for the widget slider to appear
  await page.waitForSelector('.widget-slider, .jupyter-widgets .widget-hslider', { timeout: 120000 });
  await page.waitForTimeout(8000);
  const el = await page.$('.widget-slider, .widget-hslider');
  await el.scrollIntoViewIfNeeded();
  await page.waitForTimeout(2000);
  const counts = await page.evaluate(() => ({
    sliders: document.querySelectorAll('.widget-slider, .widget-hslider').length,
    toggles: document.querySelectorAll('.widget-toggle-buttons, .widget-dropdown, .widget-checkbox, .widget-radio').length,
    images: document.querySelectorAll('.jp-RenderedImage img').length,
    errors: document.querySelectorAll('.jp-RenderedText[data-mime-type="application/vnd.jupyter.stderr"]').length,
  }));
  console.log(JSON.stringify(counts));
  const out = await el.evaluateHandle(e => e.closest('.jp-Cell-outputWrapper') || e.closest('.jp-OutputArea'));
  await out.asElement().screenshot({ path: '/tmp/pw/widget.png' });
  // move the first slider with the keyboard and check that the figure is redrawn
  const before = await out.asElement().evaluate(e => (e.querySelector('img') || {}).src || '');
  await page.focus('.widget-slider .ui-slider-handle, .widget-hslider .noUi-handle, .widget-slider input');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(6000);
  const after = await out.asElement().evaluate(e => (e.querySelector('img') || {}).src || '');
  console.log(JSON.stringify({redrawn: before !== after && after.length > 0, imgBefore: before.length, imgAfter: after.length}));
  await out.asElement().screenshot({ path: '/tmp/pw/widget2.png' });
  await browser.close();
})().catch(e => { console.error(e); process.exit(1); });
