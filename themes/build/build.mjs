// Compiles each theme's stylesheet on Bootstrap Italia, the design system of Italian public
// services, and copies the kit's fonts next to it, so that pages load nothing from elsewhere.
//
//   node build.mjs            every theme with a `scss/theme.scss`, when its sources changed
//   node build.mjs --force    every theme, always
//
// A theme's `scss/theme.scss` sets the kit's own variables (`$primary-h`, `$primary-s`,
// `$primary-b`, …) and then imports the default theme's `main` (see themes/default/scss). The
// result goes to `<theme>/static/build/theme.css`, which the kernel serves as
// `/static/build/theme.css` (a territory's own first, else the default theme's); the fonts to
// `default/static/build/fonts/`, shared by every theme. Nothing here is committed: `./dev`
// runs this before the demo and the tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as sass from 'sass';

const here = path.dirname(fileURLToPath(import.meta.url));
const themes = path.dirname(here);
const kit = path.join(here, 'node_modules', 'bootstrap-italia');
const force = process.argv.includes('--force');

/** The newest change time among the files under `dir` (0 when it is missing). */
function newest(dir) {
  if (!fs.existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath ?? entry.path, entry.name);
      latest = Math.max(latest, fs.statSync(file).mtimeMs);
    }
  }
  return latest;
}

function mtime(file) {
  return fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
}

/** The kit's fonts the stylesheet declares (see `_fonts.scss`), copied once. */
function copyFonts() {
  const target = path.join(themes, 'default', 'static', 'build', 'fonts');
  for (const family of ['Titillium_Web', 'Roboto_Mono', 'Lora']) {
    const from = path.join(kit, 'dist', 'fonts', family);
    const to = path.join(target, family);
    fs.mkdirSync(to, { recursive: true });
    for (const name of fs.readdirSync(from)) {
      if (name.endsWith('.woff2') || name.endsWith('.woff') || name === 'OFL.txt') {
        fs.copyFileSync(path.join(from, name), path.join(to, name));
      }
    }
  }
}

const shared = Math.max(
  newest(path.join(themes, 'default', 'scss')),
  mtime(path.join(here, 'package-lock.json')),
  mtime(fileURLToPath(import.meta.url)),
);
let built = 0;
for (const theme of fs.readdirSync(themes).sort()) {
  const entry = path.join(themes, theme, 'scss', 'theme.scss');
  if (!fs.existsSync(entry)) continue;
  const out = path.join(themes, theme, 'static', 'build', 'theme.css');
  const sources = Math.max(shared, newest(path.join(themes, theme, 'scss')));
  if (!force && mtime(out) > sources) continue;
  const started = Date.now();
  let result;
  try {
    result = sass.compile(entry, {
      loadPaths: [path.join(here, 'node_modules')],
      style: 'compressed',
      quietDeps: true,
      // The kit is written with `@import` and global functions; its own code is not ours to
      // change, and our few lines follow it.
      silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'slash-div', 'if-function'],
    });
  } catch (err) {
    console.error(`themes/${theme}/scss: ${err.message}`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, result.css);
  built += 1;
  console.log(`themes/${theme}: static/build/theme.css (${Math.round(result.css.length / 1024)} KiB, ${Date.now() - started} ms)`);
}
copyFonts();
if (built === 0) console.log('themes: stylesheets up to date');
