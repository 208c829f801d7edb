#!/usr/bin/env node
// A member of the coordination table proposes a change of a service's setting, in a real
// browser (Debian's Chromium, headless, JavaScript off):
//
// 1. the member logs in and opens the table: services by their title, never a test plugin,
//    the rules in words (the accessibility of the page is checked);
// 2. chooses the setting by its description and goes on to the value form, whose field is of
//    the setting's type;
// 3. enters a value above the maximum, which the field itself holds back;
// 4. enters an accepted value and reads the proposal in plain words, the exact change behind
//    "Cosa cambierebbe nel manifesto".
//
// Usage: node member.mjs BASE_URL ARTIFACTS_DIR --member USERNAME --password PASSWORD
// Chromium is /usr/bin/chromium unless $CHROMIUM_PATH says otherwise.
// Exit code 0 only when every step and every accessibility check passed.

import { BrowserRun, main, parseRequiredArgs } from './session.mjs';

function parseArgs(argv) {
  return parseRequiredArgs(
    argv,
    { '--member': 'member', '--password': 'password' },
    'node member.mjs BASE_URL ARTIFACTS_DIR --member USERNAME --password PASSWORD',
  );
}

class Run extends BrowserRun {
  async run() {
    this.log(`member ${this.options.member} on ${this.options.base}`);

    this.log('1. the member logs in and opens the table');
    await this.page.goto(this.url('/login?next=/governance'));
    await this.page.getByLabel('Nome utente').fill(this.options.member);
    await this.page.getByLabel('Password', { exact: true }).fill(this.options.password);
    await this.page.getByRole('main').getByRole('button', { name: 'Accedi' }).click();
    this.expectOk('login of the member');
    const accept = this.page.getByRole('button', { name: "Ho letto l'informativa, continua" });
    if ((await accept.count()) > 0) {
      await accept.click();
      this.expectOk('privacy notice accepted');
    }
    await this.page.goto(this.url('/governance'));
    this.expectOk('the table');
    await this.page.getByRole('heading', { level: 1, name: 'Tavolo di coordinamento' }).waitFor();
    await this.expectText('maggioranza semplice');
    const services = await this.page.getByLabel('Servizio (plugin)').locator('option').allInnerTexts();
    if (!services.some((text) => text.startsWith('Doposcuola — '))) {
      throw new Error(`the service is not offered by its title: ${services.join(' | ')}`);
    }
    for (const test of ['Saluti', 'Canaglia']) {
      if (services.some((text) => text.includes(test))) {
        throw new Error(`the test plugin «${test}» is offered: ${services.join(' | ')}`);
      }
    }
    await this.screenshot('table');
    await this.audit('table');

    this.log('2. the member chooses the setting by its description');
    await this.page.getByLabel('Impostazione', { exact: true }).selectOption({ label: 'Doposcuola: Bambini al massimo per gruppo (anche la capienza dello spazio vale come limite)' });
    await this.page.getByRole('button', { name: 'Avanti' }).click();
    this.expectOk('the value form');
    const value = this.page.getByLabel('Nuovo valore');
    if ((await value.getAttribute('type')) !== 'number' || (await value.getAttribute('max')) !== '8') {
      throw new Error('the value field is not a number field up to 8');
    }
    await this.screenshot('setting-chosen');
    await this.audit('setting');

    this.log('3. a value above the maximum is held back by the field itself');
    // The number field carries the schema's bounds, so the browser does not send 12; the
    // server's own refusal (naming the setting, at the field) is tested over HTTP.
    const before = this.page.url();
    await value.fill('12');
    await this.page.getByRole('button', { name: 'Verifica e metti ai voti' }).last().click();
    await this.page.waitForTimeout(500);
    if (this.page.url() !== before) {
      throw new Error(`a value above the maximum was sent: now on ${this.page.url()}`);
    }
    await this.screenshot('held-back');

    this.log('4. an accepted value, and the proposal in words');
    await this.page.getByLabel('Nuovo valore').fill('5');
    await this.page.getByRole('button', { name: 'Verifica e metti ai voti' }).last().click();
    this.expectOk('the proposal');
    await this.expectText('Cambiare «Bambini al massimo per gruppo (anche la capienza dello spazio vale come limite)» di «Doposcuola» da 3 a 5');
    await this.expectText('votazione aperta per 7 giorni');
    await this.page.getByText('Cosa cambierebbe nel manifesto').click();
    await this.expectText('max_group_size = 5', this.page.locator('pre.diff'));
    await this.screenshot('proposal');
    await this.audit('proposal');
  }
}

process.exitCode = await main(Run, parseArgs, 'member');
