import { createHash } from 'node:crypto';

// Erasure of one person (GDPR art. 17): every store that holds something about them registers an
// eraser, and `forgetCustomer` runs them in order. What is left is a suppression entry that holds
// no address, only a salted hash of it, so a later import of the same address is recognised and
// never mailed. Without transactions, the order makes a crash harmless: the hashed suppression is
// written first (the person is protected before anything is deleted), the profile (the only place
// the address can be read back from) is deleted last, and the "forgotten" marker after that; a
// re-run finds the profile still there and does everything again, idempotently.

export interface ErasureSubject {
  customerId: string;
  /** The address from the profile; undefined when the profile is already gone (a resumed erasure). */
  email: string | undefined;
}

/** One store's part of an erasure; returns how many items it deleted (0 when nothing was left). */
export interface Eraser {
  store: string;
  /** Needs the address (e.g. to find raw events); skipped when the profile is already gone. */
  needsEmail?: boolean;
  erase(subject: ErasureSubject): Promise<number>;
}

export interface ForgetPorts {
  /** The customer's address, or undefined when there is no profile. */
  findEmail(customerId: string): Promise<string | undefined>;
  /** When this customer was forgotten, if they were. */
  forgottenAt(customerId: string): Promise<string | undefined>;
  /** Writes the hashed-address suppression (and the customer-id one); repeats are harmless. */
  suppressErased(customerId: string, emailHash: string | undefined, now: Date): Promise<void>;
  /** Every store except the profile, in the order they run; attribution and others plug in here. */
  erasers: readonly Eraser[];
  /** Deletes the profile; runs after every other eraser. */
  profile: Eraser;
  markForgotten(customerId: string, now: Date): Promise<void>;
}

export type ForgetResult =
  | { status: 'forgotten'; customerId: string; erased: Record<string, number> }
  | { status: 'already_forgotten'; customerId: string; at: string }
  | { status: 'unknown'; customerId: string };

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** SHA-256 of the normalised address with the deployment's salt, hex. */
export function erasedEmailHash(email: string, salt: string): string {
  return createHash('sha256')
    .update(`${salt}\n${normaliseEmail(email)}`)
    .digest('hex');
}

export async function forgetCustomer(
  ports: ForgetPorts,
  customerId: string,
  options: { salt: string; now: Date },
): Promise<ForgetResult> {
  if (customerId.trim() === '') throw new Error('forget: the customer id is empty');
  const email = await ports.findEmail(customerId);
  if (email === undefined) {
    const at = await ports.forgottenAt(customerId);
    if (at) return { status: 'already_forgotten', customerId, at };
  }
  const subject: ErasureSubject = { customerId, email };
  if (email !== undefined)
    await ports.suppressErased(customerId, erasedEmailHash(email, options.salt), options.now);

  const erased: Record<string, number> = {};
  for (const eraser of ports.erasers) {
    if (eraser.needsEmail && email === undefined) continue;
    erased[eraser.store] = (erased[eraser.store] ?? 0) + (await eraser.erase(subject));
  }
  erased[ports.profile.store] = email === undefined ? 0 : await ports.profile.erase(subject);

  // No profile and nothing else found under the id: a wrong id, not an erasure to finish.
  if (email === undefined && Object.values(erased).every((n) => n === 0))
    return { status: 'unknown', customerId };
  if (email === undefined) await ports.suppressErased(customerId, undefined, options.now);
  await ports.markForgotten(customerId, options.now);
  return { status: 'forgotten', customerId, erased };
}
