import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface StoredEmail {
  messageId: string;
  at: number;
}

/**
 * Copies every email the SES emulator accepted since `sinceEpochSeconds` into the outbox as an
 * RFC 5322 `.eml` file (all headers kept), because the emulator's store dies with the process.
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
    const bytes = typeof body === 'string' ? Buffer.from(body) : Buffer.from(body.data);
    const file = join(outboxDir, `${name}.eml`);
    await writeFile(file, bytes);
    written.push(file);
  }
  return written;
}
