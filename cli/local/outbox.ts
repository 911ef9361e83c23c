import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface StoredEmail {
  messageId: string;
  at: number;
  /** The custom headers of the SendEmail request. */
  headers?: { name: string; value: string }[];
}

/**
 * Copies every email the SES emulator accepted since `sinceEpochSeconds` into the outbox as an
 * RFC 5322 `.eml` file (all headers kept), because the emulator's store dies with the process.
 * The `Date` is the one the send stage asked for (its send clock: the scheduled moment under the
 * simulated clock), where SES and the emulator put the moment they accepted the message.
 */
export async function writeOutbox(
  sesEndpoint: string,
  outboxDir: string,
  sinceEpochSeconds: number,
): Promise<string[]> {
  await mkdir(outboxDir, { recursive: true });
  const existing = new Set((await readdir(outboxDir)).map((f) => f.replace(/\.eml$/, '')));
  const res = await fetch(`${sesEndpoint}/store?since=${Math.floor(sinceEpochSeconds)}`);
  if (!res.ok) throw new Error(`SES emulator store: HTTP ${res.status}`);
  const { emails } = (await res.json()) as { emails: StoredEmail[] };
  const written: string[] = [];
  for (const email of emails) {
    const name = email.messageId.replace(/[^A-Za-z0-9._-]/g, '_');
    if (existing.has(name)) continue;
    const r = await fetch(`${sesEndpoint}/get-emlContent?messageId=${encodeURIComponent(email.messageId)}`);
    if (!r.ok) throw new Error(`SES emulator eml for ${email.messageId}: HTTP ${r.status}`);
    const { body } = (await r.json()) as { body: { type: 'Buffer'; data: number[] } | string };
    const raw = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.data);
    const date = email.headers?.find((h) => h.name.toLowerCase() === 'date')?.value;
    const bytes = date === undefined ? raw : withDateHeader(raw, date);
    const file = join(outboxDir, `${name}.eml`);
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}

/** The message with its (first) `Date` header set to `date`; only the header section is touched. */
export function withDateHeader(eml: Buffer, date: string): Buffer {
  const text = eml.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const value = date.replace(/[\r\n]/g, ' ');
  const replaced = /^Date:.*$/im.test(head)
    ? head.replace(/^Date:.*(\r?\n[ \t].*)*$/im, `Date: ${value}`)
    : `Date: ${value}\r\n${head}`;
  return Buffer.from(replaced + (end < 0 ? '' : text.slice(end)), 'latin1');
}
