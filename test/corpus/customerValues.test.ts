import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCampaignFiles } from '../../cli/local/campaigns.js';
import { nightDecisions, writeDecisionsCsv } from '../../cli/local/decisions.js';
import { writeOutbox } from '../../cli/local/outbox.js';
import { previewCampaign } from '../../cli/local/preview.js';
import { runNight } from '../../cli/local/runNight.js';
import type { LocalSession } from '../../cli/local/session.js';
import { seedPopulation } from '../../cli/seed/load.js';
import { documentClient } from '../../functions/adapters/clients.js';
import { importCustomers } from '../../functions/domain/ingest/importService.js';
import { openTestSession } from '../support/localWorld.js';

// Customer values are data, not markup and not headers: names and attributes carrying HTML, CR/LF
// header injections, formulas and invisible Unicode go through a real night (import, the state
// machine, SES emulator, outbox) and a preview. HTML must come out escaped, headers on one line.

const NIGHT = '2026-11-20';
const DIR = join(import.meta.dirname, 'values');
let world: Awaited<ReturnType<typeof openTestSession>>;
let session: LocalSession;
const mails = new Map<string, { raw: string; parsed: Awaited<ReturnType<typeof simpleParser>> }>();
let previewFiles: string[] = [];

/** The header block of a raw RFC 5322 message. */
const headerBlock = (raw: string) => raw.slice(0, raw.search(/\r?\n\r?\n/));

describe('hostile customer values: escaped in HTML, stripped from headers, through a real night', () => {
  beforeAll(async () => {
    world = await openTestSession('corpus-values');
    session = world.session;
    // A small population (60: once a spend fit of 1e56 that crashed the night) for the models; the
    // hostile customers are imported on top.
    await seedPopulation(documentClient(), session.tables, {
      customers: 60,
      seed: 16,
      asOf: NIGHT,
      orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
    });
    const file = join(DIR, 'hostile-customers.jsonl');
    const imported = await importCustomers(file, await readFile(file, 'utf8'), session.customers);
    expect(imported, JSON.stringify(imported.problems)).toMatchObject({ ok: true, written: 6 });
    const pushed = await pushCampaignFiles(session.campaigns, [join(DIR, 'hostile-values.yaml')], 'corpus');
    expect(pushed[0], JSON.stringify(pushed)).toMatchObject({ ok: true });
    const since = Math.floor(Date.now() / 1000) - 1;
    await runNight({ runDate: NIGHT });
    for (const eml of await writeOutbox(session.services.sesEndpoint, join(world.home, 'outbox'), since)) {
      const raw = readFileSync(eml, 'utf8');
      const parsed = await simpleParser(raw);
      const to = (Array.isArray(parsed.to) ? parsed.to : [parsed.to]).flatMap((a) => a?.value ?? []);
      expect(to).toHaveLength(1);
      mails.set(to[0]!.address!, { raw, parsed });
    }
    const preview = await previewCampaign(session, {
      file: join(DIR, 'hostile-values.yaml'),
      runDate: NIGHT,
      sample: 10,
      outDir: join(world.home, 'previews'),
    });
    if (!preview.ok) throw new Error(preview.errors.join('\n'));
    previewFiles = preview.report.samples
      .flatMap((s) => [s.htmlPath, s.textPath])
      .filter((p) => p !== undefined);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('sends to every hostile customer with a valid address, and to no injected address', () => {
    expect([...mails.keys()].filter((a) => a.startsWith('h-')).sort()).toEqual([
      'h-crlf@example.com',
      'h-dash@example.com',
      'h-formula@example.com',
      'h-script@example.com',
      'h-unicode@example.com',
    ]);
    // The address with CR/LF and a Bcc is refused at send time; nobody at evil.example gets mail.
    for (const { raw } of mails.values()) expect(headerBlock(raw)).not.toMatch(/evil\.example>?\s*$/im);
    for (const address of mails.keys()) expect(address).not.toMatch(/evil|[\r\n]/);
  });

  it('keeps every header on its line: no Bcc, X-Injected or X-Tier header comes out of a value', () => {
    for (const [to, { raw, parsed }] of mails) {
      const headers = headerBlock(raw);
      expect(headers, to).not.toMatch(/^(bcc|x-injected|x-tier):/im);
      expect(parsed.headers.has('bcc'), to).toBe(false);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: a NUL in the subject is what is checked
      expect(parsed.subject ?? '', to).not.toMatch(/[\r\n\u0000\u2028\u2029]/);
    }
    expect(mails.get('h-crlf@example.com')!.parsed.subject).toBe(
      'Ann Bcc: victim@evil.example Lee X-Injected: yes, a gift (gold X-Tier: 1)',
    );
  });

  it('escapes HTML in the body and its attributes; the text part stays plain', () => {
    for (const [to, { parsed }] of mails) {
      const html = String(parsed.html);
      // Escaped text may say onerror=, but no tag can open: every < of a value is &lt;.
      expect(html, to).not.toMatch(/<script|<img|<b\s/i);
    }
    const script = String(mails.get('h-script@example.com')!.parsed.html);
    expect(script).toContain(
      'Hello &lt;script&gt;alert(1)&lt;/script&gt; &#34;&gt;&lt;img src=x onerror=alert(2)&gt;',
    );
    expect(script).toContain('title="&#34;&gt;&lt;img src=x onerror=alert(2)&gt;"');
    expect(script).toContain('Tier: &lt;b onmouseover=alert(3)&gt;gold&lt;/b&gt;');
    expect(script).toContain('href="https://shop.example/?n=%3Cscript%3Ealert(1)%3C%2Fscript%3E"');
    // A value that looks like Liquid is printed, never evaluated.
    expect(String(mails.get('h-unicode@example.com')!.parsed.html)).toContain('Tier: {{ customer.email }}');
    expect(mails.get('h-script@example.com')!.parsed.text).toContain('Hello <script>alert(1)</script>');
  });

  it('writes preview samples with the same escaping, and the comment header cannot be closed by a value', () => {
    expect(previewFiles.length).toBeGreaterThanOrEqual(8);
    for (const file of previewFiles.filter((f) => f.endsWith('.html'))) {
      const html = readFileSync(file, 'utf8');
      // The preview's leading comment holds the subject as written (inert there): it is one comment,
      // closed once, and no value can close it early ("--" is broken up).
      const comment = html.slice(0, html.indexOf('-->') + 3);
      expect(comment.slice(4, -3), file).not.toContain('--');
      expect(html.slice(comment.length), file).not.toMatch(/<script|<img|<b\s/i);
    }
  });

  it('exports decisions as CSV with formula-looking cells neutralised (leading apostrophe)', async () => {
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const rows = await writeDecisionsCsv(await nightDecisions(documentClient(), session.tables, NIGHT), out);
    const csv = Buffer.concat(chunks).toString('utf8');
    expect(rows).toBeGreaterThanOrEqual(6);
    // The id "-A1-B2" is valid at import; a spreadsheet would compute it, so it is written as text.
    expect(csv).toMatch(/^'-A1-B2,hostile-values,hostile,/m);
    for (const line of csv.trim().split('\n').slice(1)) expect(line).not.toMatch(/^[=+\-@\t\r]|,[=+\-@\t\r]/);
  });
});
