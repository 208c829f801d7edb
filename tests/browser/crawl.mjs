#!/usr/bin/env node
// One person per role, each in their own browser (Debian's Chromium, headless, JavaScript
// off): each logs in with the login form, accepts the privacy notice when asked, and visits
// every page they can reach from the home page, each audited (axe-core, reflow at 320 and
// 390 px, labels beside their controls) and photographed (see session.mjs `crawl`).
//
// Usage: node crawl.mjs BASE_URL ARTIFACTS_DIR --password PASSWORD --people NAME=USERNAME,…
//   --people  who to crawl as: a name for the reports (the role) and the account's username
// Chromium is /usr/bin/chromium unless $CHROMIUM_PATH says otherwise.
// Exit code 0 only when every page of every person passed.

import { BrowserRun, main, parseRequiredArgs } from './session.mjs';

function parseArgs(argv) {
  const options = parseRequiredArgs(
    argv,
    { '--password': 'password', '--people': 'people' },
    'node crawl.mjs BASE_URL ARTIFACTS_DIR --password PASSWORD --people NAME=USERNAME,…',
  );
  options.people = options.people.split(',').map((pair) => {
    const [who, username] = pair.split('=');
    if (!who || !username) throw new Error(`--people: «${pair}» is not NAME=USERNAME`);
    return { who, username };
  });
  return options;
}

class Run extends BrowserRun {
  async run() {
    for (const { who, username } of this.options.people) {
      this.log(`${who} (${username})`);
      this.switchTo(await this.person());
      await this.page.goto(this.url('/login'));
      await this.page.getByLabel('Nome utente').fill(username);
      await this.page.getByLabel('Password', { exact: true }).fill(this.options.password);
      await this.page.getByRole('main').getByRole('button', { name: 'Accedi' }).click();
      this.expectOk(`login of ${who}`);
      const accept = this.page.getByRole('button', { name: "Ho letto l'informativa, continua" });
      if ((await accept.count()) > 0) {
        await accept.click();
        this.expectOk(`privacy notice accepted by ${who}`);
      }
      await this.crawl(who);
      await this.current.context.close();
    }
  }
}

process.exitCode = await main(Run, parseArgs, 'people');
