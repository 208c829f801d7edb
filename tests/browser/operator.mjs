#!/usr/bin/env node
// An operator's account from invitation to revocation, in a real browser (Debian's Chromium,
// headless, JavaScript off), with the administrator in a second browser:
//
// 1. the administrator logs in, accepts the privacy notice and invites the operator by e-mail
//    with the role `operator` (the accessibility of /admin and its forms is checked);
// 2. the invitation link is read from the instance's outbox (`trama outbox`, as the mail
//    relay reads it);
// 3. the operator opens it, chooses a password, accepts the privacy notice and opens the
//    vouchers dashboard: at work;
// 4. the administrator revokes the role on the account's page;
// 5. the operator reloads the dashboard and is refused (403, saying it is for operators).
//
// Usage: node operator.mjs BASE_URL ARTIFACTS_DIR --trama BIN --instance DIR --admin USERNAME
//          --password PASSWORD
// Chromium is /usr/bin/chromium unless $CHROMIUM_PATH says otherwise.
// Exit code 0 only when every step and every accessibility check passed.

import { execFileSync } from 'node:child_process';
import { BrowserRun, main, parseRequiredArgs } from './session.mjs';

const OPERATOR_PASSWORD = 'la password dell operatrice';

function parseArgs(argv) {
  return parseRequiredArgs(
    argv,
    { '--trama': 'trama', '--instance': 'instance', '--admin': 'admin', '--password': 'password' },
    'node operator.mjs BASE_URL ARTIFACTS_DIR --trama BIN --instance DIR --admin USERNAME --password PASSWORD',
  );
}

class Run extends BrowserRun {
  /** The invitation link mailed to `address`, from the outbox as the relay reads it. */
  invitationLink(address) {
    const printed = execFileSync(this.options.trama, ['outbox', this.options.instance], { encoding: 'utf8' });
    const link = printed
      .split('\n')
      .filter((line) => line.trim())
      .map((line) => JSON.parse(line))
      .filter((message) => message.username === address && String(message.link ?? '').startsWith('/invite/'))
      .map((message) => message.link)
      .pop();
    if (!link) throw new Error(`no invitation to ${address} in the outbox:\n${printed}`);
    return link;
  }

  /** Accepts the privacy notice when the current page asks for it. */
  async acceptPrivacyIfAsked() {
    const accept = this.page.getByRole('button', { name: "Ho letto l'informativa, continua" });
    if ((await accept.count()) > 0) {
      await this.audit(`privacy-${this.step}`);
      await accept.click();
      this.expectOk('privacy notice accepted');
    }
  }

  async run() {
    const stamp = Date.now().toString(36);
    const address = `operatrice.${stamp}@example.org`;
    const admin = this.current;
    const operator = await this.person();
    this.log(`operator ${address}, invited by ${this.options.admin}, on ${this.options.base}`);

    this.log('1. the administrator logs in and invites the operator');
    await this.page.goto(this.url('/login?next=/admin'));
    await this.page.getByLabel('Nome utente').fill(this.options.admin);
    await this.page.getByLabel('Password', { exact: true }).fill(this.options.password);
    await this.page.getByRole('main').getByRole('button', { name: 'Accedi' }).click();
    // The click only starts the post: wait until the answer replaced the login page, or the
    // privacy notice may not be there yet when it is looked for.
    await this.page.waitForURL((url) => url.pathname !== '/login');
    this.expectOk('login of the administrator');
    await this.acceptPrivacyIfAsked();
    await this.page.getByRole('heading', { level: 1, name: 'Amministrazione' }).waitFor();
    await this.audit('admin');
    await this.page.getByRole('link', { name: 'Invita una persona' }).first().click();
    this.expectOk('invitation form');
    await this.audit('admin-invite');
    await this.page.getByLabel('Indirizzo e-mail').fill(address);
    await this.page.getByLabel('Nome e cognome').fill('Ornella Operatrice');
    await this.page.locator('#role-operator').check();
    await this.screenshot('invite-filled');
    await this.page.getByRole('button', { name: "Invia l'invito" }).click();
    this.expectOk('invitation sent');
    await this.expectText('Invito inviato.');
    await this.screenshot('invited');

    this.log('2. the invitation link, from the outbox');
    const link = this.invitationLink(address);

    this.log('3. the operator accepts the invitation and goes to work');
    this.switchTo(operator);
    await this.page.goto(this.url(link));
    this.expectOk('invitation page');
    await this.page.getByRole('heading', { level: 1, name: 'Completa il tuo account' }).waitFor();
    await this.audit('invitation');
    await this.page.getByLabel('Password', { exact: true }).fill(OPERATOR_PASSWORD);
    await this.page.getByLabel('Ripeti la password').fill(OPERATOR_PASSWORD);
    await this.page.getByRole('button', { name: 'Scegli la password ed entra' }).click();
    await this.page.waitForURL((url) => !url.pathname.startsWith('/invite'));
    this.expectOk('invitation accepted');
    await this.acceptPrivacyIfAsked();
    await this.page.goto(this.url('/p/vouchers/dashboard'));
    this.expectOk('the dashboard');
    await this.page.getByRole('heading', { level: 1, name: 'Cruscotto' }).waitFor();
    await this.screenshot('operator-at-work');
    await this.audit('dashboard');
    this.log('3b. every page the operator can reach, each audited');
    await this.crawl('operator');

    this.log('4. the administrator revokes the role');
    this.switchTo(admin);
    await this.crawl('admin');
    await this.page.goto(this.url(`/admin/accounts?q=${encodeURIComponent(address)}`));
    this.expectOk('accounts search');
    await this.audit('admin-accounts');
    await this.page.getByRole('main').getByRole('link', { name: address }).click();
    this.expectOk('the account');
    await this.audit('admin-account');
    await this.page.getByRole('button', { name: 'Togli operator' }).click();
    this.expectOk('role revoked');
    await this.expectText('Ruolo tolto.');
    await this.screenshot('revoked');

    this.log('5. the operator is refused');
    this.switchTo(operator);
    await this.page.goto(this.url('/p/vouchers/dashboard'));
    const status = this.lastDocument?.status;
    if (status !== 403) throw new Error(`the dashboard answered ${status} after the revocation, not 403`);
    await this.expectText('riservata agli operatori');
    await this.screenshot('operator-refused');
  }
}

process.exitCode = await main(Run, parseArgs, 'operator');
