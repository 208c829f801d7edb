// What the browser tests share: Debian's Chromium driven by playwright-core, a page whose
// every navigation is checked, screenshots, and the accessibility audit (axe-core, and reflow
// at 320 CSS px) of each page in a second context with the same cookies.

import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);

/** Impacts that fail the run; "moderate" and "minor" ones are reported but tolerated. */
const FAILING_IMPACTS = new Set(['serious', 'critical']);
/**
 * Viewports the pages must fit without horizontal scrolling: the narrowest WCAG 1.4.10 asks
 * for, and a common phone's.
 */
const REFLOW_WIDTHS = [320, 390];
/**
 * How far a form control may sit from its label, in CSS px at a phone's width: a checkbox or a
 * radio button beside its text, a field under its heading. Further, and a person cannot tell
 * which answer a box belongs to.
 */
const LABEL_GAP = { choice: 16, field: 32 };
/** Pages one crawl visits at most, so that a long list of records does not make it endless. */
const CRAWL_LIMIT = 60;
/**
 * Links a crawl does not follow: leaving, files to download, the API, assets, and the one-time
 * links of mails shown in the inbox (an invitation already accepted is rightly `410 Gone`).
 */
const NOT_PAGES = /\/logout|\/login\/oidc\/|\/invite\/|\/password\/reset\/|\/verify\/|\/api\/|\/static\/|\/files\/|\.(csv|xml|ics|toml|json|zip|pdf)(\?|$)|[?&]lang=/;

/** One person's run in the browser; a script subclasses it and writes `run()`. */
export class BrowserRun {
  constructor(options, browser) {
    this.options = options;
    this.browser = browser;
    this.failures = [];
    this.step = 0;
    this.axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
    mkdirSync(options.artifacts, { recursive: true });
  }

  log(message) {
    console.log(message);
  }

  fail(message) {
    this.failures.push(message);
    console.log(`FAIL ${message}`);
  }

  /**
   * A person's own browser context, JavaScript off (every page must work without it), whose
   * page remembers the status of the last document it navigated to.
   */
  async person() {
    const context = await this.browser.newContext({ javaScriptEnabled: false, locale: 'it-IT' });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    const person = { context, page, lastDocument: null };
    page.on('response', (response) => {
      if (response.request().isNavigationRequest() && response.request().frame() === page.mainFrame()) {
        person.lastDocument = { status: response.status(), url: response.url() };
      }
    });
    return person;
  }

  /** Makes `person` the one the next steps act as (`this.page`, screenshots, audits). */
  switchTo(person) {
    this.current = person;
    this.citizen = person.context;
    this.page = person.page;
  }

  get lastDocument() {
    return this.current?.lastDocument ?? null;
  }

  async start() {
    this.switchTo(await this.person());
    // The auditor's browser: same cookies, JavaScript on so that axe-core can run.
    this.auditor = await this.browser.newContext({ locale: 'it-IT' });
    this.auditPage = await this.auditor.newPage();
    this.auditPage.setDefaultTimeout(30_000);
  }

  url(pathname) {
    return `${this.options.base}${pathname}`;
  }

  /** Fails when the last page the current person loaded was an HTTP error. */
  expectOk(what) {
    const last = this.lastDocument;
    if (!last) throw new Error(`${what}: no page was loaded`);
    if (last.status >= 400) throw new Error(`${what}: ${last.url} answered HTTP ${last.status}`);
  }

  async screenshot(name) {
    this.step += 1;
    const file = path.join(this.options.artifacts, `${String(this.step).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    this.log(`  screenshot ${path.basename(file)}`);
  }

  /** Waits until the citizen's page shows `text` somewhere in `locator` (default: the body). */
  async expectText(text, locator = this.page.locator('body')) {
    try {
      await locator.filter({ hasText: text }).first().waitFor({ state: 'visible', timeout: 10_000 });
    } catch {
      const shown = (await locator.first().innerText().catch(() => '')).slice(0, 2000);
      throw new Error(`expected to see «${text}» on ${this.page.url()}, the page shows:\n${shown}`);
    }
  }

  /**
   * Loads the citizen's current page in the auditor's context (same cookies) and runs axe-core
   * on it, then checks it reflows at 320 px.
   */
  async audit(name) {
    await this.auditor.clearCookies();
    await this.auditor.addCookies(await this.citizen.cookies());
    const target = this.page.url();
    await this.auditPage.setViewportSize({ width: 1280, height: 900 });
    const response = await this.auditPage.goto(target, { waitUntil: 'load' });
    if (!response || response.status() >= 400) {
      this.fail(`${name}: the auditor could not load ${target} (HTTP ${response?.status()})`);
      return;
    }
    await this.auditPage.evaluate(this.axeSource);
    const results = await this.auditPage.evaluate(() =>
      axe.run(document, { resultTypes: ['violations'] }),
    );
    writeFileSync(
      path.join(this.options.artifacts, `axe-${name}.json`),
      JSON.stringify({ url: target, violations: results.violations }, null, 2),
    );
    const failing = results.violations.filter((v) => FAILING_IMPACTS.has(v.impact));
    const tolerated = results.violations.filter((v) => !FAILING_IMPACTS.has(v.impact));
    for (const v of tolerated) {
      this.log(`  axe ${name}: ${v.impact} ${v.id} (${v.nodes.length}×): ${v.help}`);
    }
    if (failing.length === 0) {
      this.log(`  axe ${name}: no serious or critical violations`);
    }
    for (const v of failing) {
      const nodes = v.nodes
        .map((n) => `      ${n.target.join(' ')}\n        ${(n.failureSummary ?? '').replace(/\n/g, '\n        ')}`)
        .join('\n');
      this.fail(`axe ${name} (${target}): ${v.impact} ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}`);
    }

    // Reflow: at 320 and 390 CSS px nothing may need sideways scrolling (wide tables scroll
    // inside their own box, which the rule allows).
    for (const width of REFLOW_WIDTHS) {
      await this.reflow(name, width);
    }
    await this.labelsNearControls(name);
  }

  /** Fails when the audited page needs sideways scrolling at `reflowWidth` CSS px. */
  async reflow(name, reflowWidth) {
    await this.auditPage.setViewportSize({ width: reflowWidth, height: 800 });
    const overflow = await this.auditPage.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => {
          const box = el.getBoundingClientRect();
          if (box.width === 0 || box.right <= width + 1) return false;
          // Content inside a scrolling box does not make the page scroll.
          for (let p = el.parentElement; p; p = p.parentElement) {
            const style = getComputedStyle(p);
            if (/(auto|scroll)/.test(style.overflowX) && p !== document.body && p !== document.documentElement) return false;
          }
          return true;
        })
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className ? '.' + String(el.className).replace(/\s+/g, '.') : ''}`);
      return { scroll: document.documentElement.scrollWidth, width, wide };
    });
    if (overflow.scroll > overflow.width + 1) {
      this.fail(`reflow ${name}: at ${reflowWidth}px the page is ${overflow.scroll}px wide (${overflow.wide.join(', ')})`);
    } else {
      this.log(`  reflow ${name}: fits ${reflowWidth}px`);
    }
  }

  /**
   * Fails when a visible form control sits far from its label at a phone's width (the last
   * reflow width): the gap between the two boxes, whichever side the label is on.
   */
  async labelsNearControls(name) {
    const far = await this.auditPage.evaluate((limits) => {
      const gap = (a, b) => Math.max(0, a.left - b.right, b.left - a.right, a.top - b.bottom, b.top - a.bottom);
      const out = [];
      for (const control of document.querySelectorAll('input, select, textarea')) {
        if (control.type === 'hidden' || !control.labels || control.labels.length === 0) continue;
        const box = control.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) continue;
        const choice = control.type === 'checkbox' || control.type === 'radio';
        const limit = choice ? limits.choice : limits.field;
        // A box or a button is drawn in the middle of its box: measured from there, so that a
        // radio button stretched across the line is as far from its text as it looks.
        const from = choice
          ? { left: box.left + box.width / 2, right: box.left + box.width / 2, top: box.top + box.height / 2, bottom: box.top + box.height / 2 }
          : box;
        const slack = choice ? Math.min(box.width, box.height) / 2 : 0;
        const nearest = Math.min(...[...control.labels].map((label) => {
          const rects = [...label.getClientRects()];
          return rects.length ? Math.min(...rects.map((r) => gap(from, r) - slack)) : Infinity;
        }));
        if (nearest > limit) {
          const text = (control.labels[0].innerText || '').trim().slice(0, 40);
          out.push(`${control.tagName.toLowerCase()}#${control.id || control.name} ${Math.round(nearest)}px from «${text}»`);
        }
      }
      return out;
    }, LABEL_GAP);
    if (far.length > 0) {
      this.fail(`labels ${name} (${this.auditPage.url()}): controls far from their label: ${far.slice(0, 5).join('; ')}`);
    } else {
      this.log(`  labels ${name}: every control beside its label`);
    }
  }

  /**
   * Visits every page the current person can reach by following links from the home page (up
   * to CRAWL_LIMIT, never leaving the site, downloading files or logging out) and audits each:
   * the pages nobody listed by hand are checked too. Pages of one kind differ only in their
   * record, so a path seen with another id is visited once (`/campaigns/{id}` once, not per
   * campaign).
   */
  async crawl(who) {
    const origin = new URL(this.options.base).origin;
    const queue = [`${origin}/`];
    const seen = new Set();
    const shapes = new Set();
    let visited = 0;
    // A page's kind: its path with record ids generalised, and the names (not the values) of
    // its query, so that `/campaigns/{id}?status=` is a kind of its own, visited once.
    const shapeOf = (url) => {
      const parsed = new URL(url);
      const keys = [...new Set(parsed.searchParams.keys())].sort();
      const path = parsed.pathname.replace(/\/[0-9a-z]*[0-9][0-9a-z-]*(?=\/|$)/gi, '/{id}');
      return keys.length ? `${path}?${keys.join('&')}` : path;
    };
    while (queue.length > 0 && visited < CRAWL_LIMIT) {
      const target = queue.shift();
      const shape = shapeOf(target);
      if (shapes.has(shape)) continue;
      shapes.add(shape);
      await this.current.page.goto(target, { waitUntil: 'load' });
      if ((this.lastDocument?.status ?? 0) >= 400) {
        this.fail(`crawl ${who}: ${target} answered HTTP ${this.lastDocument.status}`);
        continue;
      }
      visited += 1;
      await this.audit(`crawl-${who}-${visited}`);
      // A picture of every kind of page, for people to look at (CI keeps the folder).
      const slug = shape.replace(/[{}]/g, '').replace(/[^a-z0-9]+/gi, '-').replace(/^-+|-+$/g, '') || 'home';
      await this.screenshot(`${who}-${slug}`.slice(0, 80));
      // Links, and the address each form that only asks (method GET: a search, a filter)
      // goes to with the values it shows, as if sent unchanged.
      const links = await this.current.page.evaluate(() => [
        ...[...document.querySelectorAll('a[href]')].map((a) => a.href),
        ...[...document.querySelectorAll('form')]
          .filter((form) => (form.getAttribute('method') ?? 'get').toLowerCase() === 'get')
          .map((form) => {
            // The attribute, not `form.action`: a field named "action" (the audit's filter)
            // shadows the property.
            const target = new URL(form.getAttribute('action') ?? '', document.baseURI);
            for (const [name, value] of new FormData(form)) {
              if (typeof value === 'string') target.searchParams.append(name, value);
            }
            return target.href;
          }),
      ]);
      for (const link of links) {
        const url = new URL(link);
        url.hash = '';
        if (url.origin !== origin || NOT_PAGES.test(url.pathname + url.search)) continue;
        const next = url.toString();
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    const unvisited = [...new Set(queue.map(shapeOf))].filter((shape) => !shapes.has(shape));
    if (unvisited.length > 0) {
      this.fail(`crawl ${who}: stopped at ${CRAWL_LIMIT} kinds of page, ${unvisited.length} not audited (${unvisited.slice(0, 5).join(', ')}): raise CRAWL_LIMIT`);
    }
    this.log(`  crawl ${who}: ${visited} kinds of page audited`);
  }

}

/**
 * A script's arguments: `BASE_URL ARTIFACTS_DIR` and every option of `named` (`--flag` →
 * option name), all required; `usage` is the line shown when one is missing.
 */
export function parseRequiredArgs(argv, named, usage) {
  const options = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (named[arg]) {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      options[named[arg]] = value;
    } else if (arg.startsWith('--')) {
      throw new Error(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  [options.base, options.artifacts] = positional;
  for (const key of ['base', 'artifacts', ...Object.values(named)]) {
    if (!options[key]) throw new Error(`usage: ${usage}`);
  }
  options.base = options.base.replace(/\/+$/, '');
  options.artifacts = path.resolve(options.artifacts);
  return options;
}

/**
 * Launches Chromium, runs `new RunClass(options, browser).run()` and reports: exit code 0 only
 * when every step and every accessibility check passed, 1 on failures, 2 on bad usage.
 */
export async function main(RunClass, parseArgs, who) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    return 2;
  }
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    console.error(`Chromium is not at ${executablePath}: install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH`);
    return 2;
  }
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // *.localhost names (one per instance) reach this machine without touching /etc/hosts.
    args: ['--host-resolver-rules=MAP *.localhost 127.0.0.1'],
  });
  const run = new RunClass(options, browser);
  try {
    await run.start();
    await run.run();
  } catch (err) {
    run.fail(`the ${who} could not go on: ${err.message}`);
    await run.page?.screenshot({ path: path.join(options.artifacts, 'failure.png'), fullPage: true }).catch(() => {});
    console.log(`  screenshot failure.png (${run.page?.url()})`);
  } finally {
    await browser.close();
  }
  if (run.failures.length > 0) {
    console.log(`\n${run.failures.length} failure(s); screenshots and axe reports in ${options.artifacts}`);
    return 1;
  }
  console.log(`\nall passed; screenshots and axe reports in ${options.artifacts}`);
  return 0;
}
