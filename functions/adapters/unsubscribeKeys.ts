import { readFile } from 'node:fs/promises';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Config } from '../config.js';

export interface KeyRingSource {
  activeKeyId: string;
  keys: Record<string, string>;
}

let cached: { at: number; ring: KeyRingSource } | undefined;
const CACHE_MS = 5 * 60_000;

/**
 * The HMAC key ring for unsubscribe tokens, stored as `{"activeKeyId": "k2", "k1": "...", "k2": "..."}`:
 * from Secrets Manager on AWS, from a local key file when running locally. Rotation = add a key,
 * switch activeKeyId, and remove the old key once its tokens may expire.
 */
export async function loadUnsubscribeKeys(
  config: Pick<Config, 'UNSUBSCRIBE_KEYS_FILE' | 'UNSUBSCRIBE_KEYS_SECRET'>,
): Promise<KeyRingSource> {
  if (cached && Date.now() - cached.at < CACHE_MS && !config.UNSUBSCRIBE_KEYS_FILE) return cached.ring;
  let text: string;
  if (config.UNSUBSCRIBE_KEYS_FILE) {
    text = await readFile(config.UNSUBSCRIBE_KEYS_FILE, 'utf8');
  } else if (config.UNSUBSCRIBE_KEYS_SECRET) {
    const client = new SecretsManagerClient({});
    const out = await client.send(new GetSecretValueCommand({ SecretId: config.UNSUBSCRIBE_KEYS_SECRET }));
    text = out.SecretString ?? '';
  } else {
    throw new Error('no unsubscribe key ring configured (UNSUBSCRIBE_KEYS_FILE or UNSUBSCRIBE_KEYS_SECRET)');
  }
  const ring = parseKeyRing(text);
  cached = { at: Date.now(), ring };
  return ring;
}

export function parseKeyRing(text: string): KeyRingSource {
  const raw = JSON.parse(text) as Record<string, unknown>;
  const activeKeyId = raw.activeKeyId;
  if (typeof activeKeyId !== 'string') throw new Error('key ring: activeKeyId missing');
  const keys: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k !== 'activeKeyId' && typeof v === 'string') keys[k] = v;
  if (!keys[activeKeyId]) throw new Error(`key ring: active key ${activeKeyId} missing`);
  for (const [k, v] of Object.entries(keys))
    if (v.length < 16) throw new Error(`key ring: key ${k} is too short`);
  return { activeKeyId, keys };
}
