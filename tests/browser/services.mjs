#!/usr/bin/env node
// A service from publication to rating, in a real browser (Debian's Chromium, headless,
// JavaScript off), with the provider and the citizen each in their own browser:
//
// 1. the provider (an account the admissions committee accredited) logs in, opens its desk and
//    publishes a service with the form;
// 2. adds a photo of it: a PDF comes back refused beside the file field, a PNG with the words
//    saying what it shows is kept and shown;
// 3. the citizen logs in, searches the catalogue by a word, finds the service with its
//    thumbnail and opens it: the photo, the provider's card, no times yet;
// 4. the provider adds a time starting in a minute or two;
// 5. the citizen books it and reads her booking, waiting for confirmation;
// 6. the provider confirms it from its desk and, once it has started, marks it done;
// 7. the citizen rates it (4 stars and a comment), and the service's page shows the rating.
//
// Every page on the way is checked with axe-core, for reflow at 320 and 390 px and for labels
// beside their controls (see session.mjs). The wait in step 6 is real: the plugin lets a
// provider mark done only a booking that has started.
//
// Usage: node services.mjs BASE_URL ARTIFACTS_DIR --provider USERNAME --citizen USERNAME
//          --password PASSWORD
// Chromium is /usr/bin/chromium unless $CHROMIUM_PATH says otherwise.
// Exit code 0 only when every step and every accessibility check passed.

import { deflateSync } from 'node:zlib';
import { BrowserRun, main, parseRequiredArgs } from './session.mjs';

const TITLE = 'Baby sitting serale';
const PHOTO_ALT = 'La sala giochi con i tappeti colorati';
const COMMENT = 'Puntuale e gentile con i bambini';
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');

/** A PNG of `width` × `height` pixels shading from blue to green: a real image to look at. */
function gradientPng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (bytes) => {
    let c = 0xffffffff;
    for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, no interlace
  const rows = [];
  for (let y = 0; y < height; y++) {
    rows.push(0); // no filter
    for (let x = 0; x < width; x++) rows.push(40 + (x * 160) / width, 100 + (y * 120) / height, 200);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
const PNG = gradientPng(96, 64);

function parseArgs(argv) {
  return parseRequiredArgs(
    argv,
    { '--provider': 'provider', '--citizen': 'citizen', '--password': 'password' },
    'node services.mjs BASE_URL ARTIFACTS_DIR --provider USERNAME --citizen USERNAME --password PASSWORD',
  );
}

/** The day (`2026-12-05`) and time (`18:07`) of `instant` in Rome, as the slot form asks. */
function inRome(instant) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Rome',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}` };
}

class Run extends BrowserRun {
  /** Logs `username` in on the current person's browser and accepts the privacy notice. */
  async logIn(username, next) {
    await this.page.goto(this.url(`/login?next=${encodeURIComponent(next)}`));
    await this.page.getByLabel('Nome utente').fill(username);
    await this.page.getByLabel('Password', { exact: true }).fill(this.options.password);
    await this.page.getByRole('main').getByRole('button', { name: 'Accedi' }).click();
    await this.page.waitForURL((url) => url.pathname !== '/login');
    this.expectOk(`login of ${username}`);
    const accept = this.page.getByRole('button', { name: "Ho letto l'informativa, continua" });
    if ((await accept.count()) > 0) {
      await accept.click();
      this.expectOk(`privacy notice accepted by ${username}`);
    }
    if (new URL(this.page.url()).pathname !== next) {
      await this.page.goto(this.url(next));
      this.expectOk(next);
    }
  }

  /** The article of the service on the provider's desk. */
  deskService() {
    return this.page
      .getByRole('main')
      .locator('article')
      .filter({ has: this.page.getByRole('heading', { level: 4, name: TITLE }) });
  }

  /** Opens the disclosure of the desk's service whose summary starts with `summary`. */
  async open(summary) {
    const details = this.deskService().locator('details').filter({ has: this.page.locator('summary', { hasText: summary }) });
    if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
    return details;
  }

  /** Fails unless the booking's page says `status`. */
  async expectStatus(status) {
    await this.expectText(status, this.page.getByRole('main').locator('dd'));
  }

  async run() {
    const { provider: providerName, citizen: citizenName } = this.options;
    const provider = this.current;
    const citizen = await this.person();
    this.log(`provider ${providerName} and citizen ${citizenName} on ${this.options.base}`);

    this.log('1. the provider publishes a service from its desk');
    await this.logIn(providerName, '/p/services/provider');
    await this.page.getByRole('heading', { level: 1, name: 'Sportello del fornitore' }).waitFor();
    await this.audit('desk');
    await this.page.getByLabel('Titolo').fill(TITLE);
    await this.page.getByLabel('Descrizione').fill('Baby sitter qualificate a domicilio, la sera');
    await this.page.getByLabel('Categoria').selectOption('Baby sitting');
    await this.page.getByLabel('Indirizzo').fill('Via Roma 1, Monteserra');
    await this.page.getByLabel('Orari').fill('tutte le sere 18-23');
    await this.page.getByLabel('Per chi').fill('bambini da 0 a 10 anni');
    await this.page.getByLabel('Modello di prezzo').selectOption({ label: 'a ora' });
    await this.page.getByLabel('Prezzo in euro').fill('12,00');
    await this.screenshot('publish-filled');
    await this.page.getByRole('button', { name: 'Pubblica', exact: true }).click();
    this.expectOk('service published');
    await this.deskService().waitFor();

    this.log('2. the provider adds a photo: a PDF is refused beside the field, a PNG is kept');
    let photos = await this.open('Foto');
    await photos.getByLabel('Foto da caricare').setInputFiles({ name: 'listino.pdf', mimeType: 'application/pdf', buffer: PDF });
    await photos.getByLabel('Cosa mostra la foto').fill(PHOTO_ALT);
    await photos.getByRole('button', { name: 'Aggiungi la foto' }).click();
    if (this.lastDocument?.status !== 422) {
      throw new Error(`the PDF was answered with ${this.lastDocument?.status}, not 422`);
    }
    photos = this.deskService().locator('details[open]').filter({ has: this.page.getByLabel('Foto da caricare') });
    const field = photos.getByLabel('Foto da caricare');
    if ((await field.getAttribute('aria-invalid')) !== 'true') throw new Error('the file field is not marked invalid');
    const described = await field.getAttribute('aria-describedby');
    const problem = await this.page.locator(`[id="${described.split(' ').pop()}"]`).innerText();
    if (!problem.includes('listino.pdf') || !problem.includes('JPEG, PNG, WebP')) {
      throw new Error(`the refusal beside the file field says «${problem}»`);
    }
    await this.screenshot('photo-refused');
    await this.audit('photo-refused', { posted: true });
    await field.setInputFiles({ name: 'sala.png', mimeType: 'image/png', buffer: PNG });
    await photos.getByLabel('Cosa mostra la foto').fill(PHOTO_ALT);
    await photos.getByRole('button', { name: 'Aggiungi la foto' }).click();
    this.expectOk('photo added');
    await this.expectText('Foto aggiunta.');
    await this.expectText('Foto: 1 foto su 3', this.deskService());
    await (await this.open('Foto')).getByRole('img', { name: PHOTO_ALT }).waitFor();
    await this.screenshot('photo-added');
    await this.audit('desk-with-photo');

    this.log('3. the citizen searches the catalogue and opens the service');
    this.switchTo(citizen);
    await this.logIn(citizenName, '/');
    await this.page.getByRole('navigation', { name: 'Servizi' }).first().getByRole('link', { name: 'Servizi alla persona' }).click();
    this.expectOk('the catalogue');
    await this.page.getByRole('heading', { level: 1, name: 'Servizi alla persona' }).waitFor();
    await this.audit('catalogue');
    await this.page.getByRole('main').getByLabel('Parole').fill('serale');
    await this.page.getByRole('main').getByRole('button', { name: 'Cerca', exact: true }).click();
    this.expectOk('search');
    const result = this.page.locator('.cards > li').filter({ hasText: TITLE });
    await result.getByRole('img', { name: PHOTO_ALT }).waitFor();
    await this.screenshot('search');
    await this.audit('search');
    await result.getByRole('link', { name: TITLE }).click();
    this.expectOk('the service');
    await this.page.getByRole('heading', { level: 1, name: TITLE }).waitFor();
    await this.page.getByRole('main').getByRole('img', { name: PHOTO_ALT }).waitFor();
    await this.expectText('Nessun orario pubblicato');
    const servicePath = new URL(this.page.url()).pathname;
    await this.screenshot('service');
    await this.audit('service');

    this.log('4. the provider adds a time starting in a minute or two');
    this.switchTo(provider);
    const start = Math.ceil((Date.now() + 60_000) / 60_000) * 60_000;
    const { date, time } = inRome(new Date(start));
    const slot = await this.open('Aggiungi un orario');
    await slot.getByLabel('Giorno').fill(date);
    await slot.getByLabel('Ora di inizio (HH:MM)').fill(time);
    await slot.getByLabel('Durata in minuti').fill('30');
    await slot.getByLabel('Posti').fill('1');
    await slot.locator('form').getByRole('button', { name: 'Aggiungi un orario' }).click();
    this.expectOk('time added');
    await this.expectText('1 posti liberi su 1', this.deskService());
    this.log(`  the time starts at ${date} ${time} (Rome)`);

    this.log('5. the citizen books it');
    this.switchTo(citizen);
    await this.page.goto(this.url(servicePath));
    this.expectOk('the service again');
    await this.page.getByRole('main').getByRole('button', { name: 'Prenota' }).click();
    this.expectOk('booked');
    await this.page.getByRole('heading', { level: 1, name: `Prenotazione: ${TITLE}` }).waitFor();
    await this.expectStatus('in attesa di conferma');
    const bookingPath = new URL(this.page.url()).pathname;
    await this.screenshot('booked');
    await this.audit('booking');

    this.log('6. the provider confirms it and, once it has started, marks it done');
    this.switchTo(provider);
    await this.page.goto(this.url('/p/services/provider'));
    this.expectOk('the desk again');
    await this.page.getByRole('table').getByRole('link', { name: TITLE }).click();
    this.expectOk('the booking, for the provider');
    await this.expectStatus('in attesa di conferma');
    await this.audit('booking-provider');
    await this.page.getByRole('button', { name: 'Conferma', exact: true }).click();
    this.expectOk('confirmed');
    await this.expectStatus('confermata');
    await this.screenshot('confirmed');
    const wait = start - Date.now() + 2_000;
    if (wait > 0) {
      this.log(`  waiting ${Math.round(wait / 1000)} s for the service to start`);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    await this.page.getByRole('button', { name: 'Segna come svolto' }).click();
    this.expectOk('done');
    await this.expectStatus('svolta');
    await this.screenshot('done');
    await this.audit('booking-done');

    this.log('7. the citizen rates it and the service shows the rating');
    this.switchTo(citizen);
    await this.page.goto(this.url('/p/services/bookings'));
    this.expectOk('my bookings');
    await this.audit('my-bookings');
    await this.page.getByRole('main').getByRole('link', { name: TITLE }).first().click();
    this.expectOk('the booking, for the citizen');
    if (new URL(this.page.url()).pathname !== bookingPath) {
      throw new Error(`«Le mie prenotazioni» led to ${this.page.url()}, not ${bookingPath}`);
    }
    await this.expectStatus('svolta');
    await this.audit('booking-to-rate');
    await this.page.getByRole('group', { name: 'Stelle (da 1 a 5)' }).getByLabel('4', { exact: true }).check();
    await this.page.getByLabel('Commento').fill(COMMENT);
    await this.screenshot('rating-filled');
    await this.page.getByRole('button', { name: 'Invia la valutazione' }).click();
    this.expectOk('rated');
    await this.expectText('La tua valutazione: 4 su 5');
    await this.page.goto(this.url(servicePath));
    this.expectOk('the service with its rating');
    const ratings = this.page.getByRole('main');
    await this.expectText('su 5 (1 valutazioni)', ratings);
    await this.expectText(COMMENT, ratings);
    await this.screenshot('rated');
    await this.audit('service-rated');
  }
}

process.exitCode = await main(Run, parseArgs, 'provider and citizen');
