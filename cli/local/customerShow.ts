import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CampaignStore } from '../../functions/adapters/campaignStore.js';
import { type ContactHistory, CustomerStore } from '../../functions/adapters/customerStore.js';
import { type LedgerEntry, LedgerStore, ledgerKey } from '../../functions/adapters/ledgerStore.js';
import { type SuppressionReason, SuppressionStore } from '../../functions/adapters/suppressionStore.js';
import type { TableNames } from '../../functions/adapters/tableNames.js';
import { normalizeEmail } from '../../functions/domain/delivery/emailAddress.js';
import { addDays } from '../../functions/domain/night/dates.js';
import type { CustomerNight } from '../../functions/domain/night/types.js';
import type { CustomerPreferences } from '../../functions/domain/preferences/preferences.js';
import type { CustomerProfile, IsoDate, PurchaseAggregates, Signal } from '../../functions/domain/types.js';

/** How many preference changes `customer show` lists (the record keeps up to 50). */
const PREFERENCE_CHANGES_SHOWN = 5;

export interface CustomerView {
  customerId: string;
  /** The profile with the address masked (`j***@example.com`) and the birth date reduced to month-day. */
  profile: Omit<CustomerProfile, 'email' | 'birthDate'> & { email: string; birthday?: string };
  aggregates: PurchaseAggregates;
  /** The last night that scored the customer (null before the first night). */
  night: CustomerNight | null;
  contact: ContactHistory;
  preferences:
    | (Omit<CustomerPreferences, 'history'> & { recentChanges: CustomerPreferences['history'] })
    | null;
  /** Why mail to this customer is suppressed (unsubscribe, bounce, complaint...); null when it is not. */
  suppression: SuppressionReason | null;
  /** Ledger entries of the window (newest first), plus those of every campaign's last contact. */
  ledger: {
    from: IsoDate;
    to: IsoDate;
    entries: Pick<
      LedgerEntry,
      | 'runDate'
      | 'campaignId'
      | 'campaignVersion'
      | 'segmentId'
      | 'status'
      | 'messageId'
      | 'reason'
      | 'finishedAt'
    >[];
  };
}

/**
 * `j***@example.com`: the first letter or digit of the local part, the domain in full (it tells an
 * operator the mailbox provider, not the person). Anything that is not a plausible address is `***`.
 */
export function maskEmailKeepDomain(address: string): string {
  const email = normalizeEmail(address);
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1);
  if (at <= 0 || !/^[a-z0-9.-]+\.[a-z0-9-]+$/.test(domain)) return '***';
  const first = Array.from(email.slice(0, at))[0] ?? '';
  return `${/^[A-Za-z0-9]$/.test(first) ? first.toLowerCase() : ''}***@${domain}`;
}

export class UnknownCustomerError extends Error {
  override name = 'UnknownCustomerError';
}

/**
 * Everything the local database knows about one customer. The ledger has no per-customer index (its
 * keys are `<runDate>#<campaignId>#<customerId>`), so the entries are read by key: every campaign on
 * every day of the window, plus each campaign's last contact date, in batches of 100 keys.
 */
export async function loadCustomerView(
  db: DynamoDBDocumentClient,
  tables: TableNames,
  customerId: string,
  options: { today: IsoDate; ledgerDays: number; erasureSalt: string },
): Promise<CustomerView> {
  const record = await new CustomerStore(db, tables).get(customerId);
  if (!record)
    throw new UnknownCustomerError(`unknown customer "${customerId}": no such customer_id in the database`);
  const to = record.night && record.night.runDate > options.today ? record.night.runDate : options.today;
  const from = addDays(to, -(options.ledgerDays - 1));
  const campaignIds = new Set((await new CampaignStore(db, tables).heads()).map((h) => h.campaignId));
  for (const id of Object.keys(record.contact?.lastByCampaign ?? {})) campaignIds.add(id);
  if (record.night?.decision.campaignId) campaignIds.add(record.night.decision.campaignId);
  const keys: string[] = [];
  for (let day = from; day <= to; day = addDays(day, 1)) {
    for (const campaignId of campaignIds) keys.push(ledgerKey(day, campaignId, customerId));
  }
  for (const [campaignId, day] of Object.entries(record.contact?.lastByCampaign ?? {})) {
    keys.push(ledgerKey(day, campaignId, customerId));
  }
  const found = await new LedgerStore(db, tables).getMany(keys);
  const entries = [...found.values()]
    .sort((a, b) => b.runDate.localeCompare(a.runDate) || a.campaignId.localeCompare(b.campaignId))
    .map((e) => ({
      runDate: e.runDate,
      campaignId: e.campaignId,
      campaignVersion: e.campaignVersion,
      segmentId: e.segmentId,
      status: e.status,
      ...(e.messageId ? { messageId: e.messageId } : {}),
      ...(e.reason ? { reason: e.reason } : {}),
      ...(e.finishedAt ? { finishedAt: e.finishedAt } : {}),
    }));
  const suppressed = await new SuppressionStore(db, tables, options.erasureSalt).suppressedAmong([
    { customerId, email: record.profile.email },
  ]);
  const { email, birthDate, ...profile } = record.profile;
  const prefs = record.preferences;
  return {
    customerId,
    profile: {
      ...profile,
      email: maskEmailKeepDomain(email),
      ...(birthDate ? { birthday: birthDate.slice(5) } : {}),
    },
    aggregates: record.aggregates,
    night: record.night ?? null,
    contact: record.contact ?? { lastByCampaign: {} },
    preferences: prefs
      ? {
          version: prefs.version,
          topics: prefs.topics,
          ...(prefs.frequency ? { frequency: prefs.frequency } : {}),
          ...(prefs.pausedUntil ? { pausedUntil: prefs.pausedUntil } : {}),
          updatedAt: prefs.updatedAt,
          recentChanges: prefs.history.slice(-PREFERENCE_CHANGES_SHOWN).reverse(),
        }
      : null,
    suppression: suppressed.get(customerId) ?? null,
    ledger: { from, to, entries },
  };
}

const yesNo = (b: boolean | undefined) => (b ? 'yes' : 'no');
const money = (n: number, currency: string) => `${n.toFixed(2)} ${currency}`;

function signalText(s: Signal): string {
  switch (s.type) {
    case 'stage_changed':
      return `stage ${s.from} → ${s.to}`;
    case 'p_alive_below':
      return `P(alive) fell below ${s.threshold}`;
    case 'clv_tier_changed':
      return `CLV tier ${s.from} → ${s.to}`;
    case 'birthday':
      return `birthday in ${s.inDays} days (${s.date})`;
    case 'signup_anniversary':
      return `${s.years}-year signup anniversary in ${s.inDays} days (${s.date})`;
    case 'first_order_anniversary':
      return `${s.years}-year first-order anniversary in ${s.inDays} days (${s.date})`;
    case 'tenure_milestone':
      return `${s.days} days a customer`;
  }
}

function table(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
}

/** The terminal layout: one titled block per concern, label column aligned. */
export function formatCustomerView(v: CustomerView): string {
  const p = v.profile;
  const a = v.aggregates;
  const out: string[] = [];
  const name = [p.firstName, p.lastName].filter(Boolean).join(' ');
  out.push(`Customer ${v.customerId}${name ? `  ${name}` : ''}  <${p.email}>`, '');
  const topics = Object.entries(p.consent.topics)
    .map(([t, ok]) => `${t} ${yesNo(ok)}`)
    .join(', ');
  const attributes = Object.entries(p.attributes)
    .map(([k, val]) => `${k}=${String(val)}`)
    .join(', ');
  out.push(
    'Profile',
    ...table([
      ['country · language', `${p.country} · ${p.language}`],
      ['time zone', p.timeZone],
      ['signed up', p.signupDate],
      ['birthday', p.birthday ?? '—'],
      ['email consent', `${yesNo(p.consent.email)}${topics ? ` (topics: ${topics})` : ''}`],
      ['attributes', attributes || '—'],
    ]),
    '',
  );
  out.push(
    'Purchases',
    ...table([
      ['orders', `${a.orderCount} on ${a.purchaseDays} purchase day${a.purchaseDays === 1 ? '' : 's'}`],
      ['spent', money(a.totalSpent, a.currency)],
      ['first · last order', `${a.firstOrderDate ?? '—'} · ${a.lastOrderDate ?? '—'}`],
    ]),
    '',
  );
  const n = v.night;
  if (!n) out.push('Last night: not scored yet (no night has run since the customer was imported)', '');
  else {
    const s = n.scores;
    const d = n.decision;
    const losers = (d.losers ?? []).map((l) => `${l.campaignId} (${l.reason})`).join(', ');
    out.push(
      `Last night (${n.runDate})`,
      ...table([
        ['stage', n.lifeStage],
        [
          'scores',
          s
            ? `P(alive) ${s.pAlive.toFixed(3)} · expected purchases ${s.expectedPurchases.toFixed(2)} · expected order ${s.expectedAvgValue.toFixed(2)} · CLV ${s.clv.toFixed(2)} (${s.clvTier})`
            : `none${n.scoreProblem ? `: ${n.scoreProblem}` : ''}`,
        ],
        ['RFM', s ? `${s.rfm.r}-${s.rfm.f}-${s.rfm.m} ${s.rfm.group}` : '—'],
        ['signals', n.signals.length ? n.signals.map(signalText).join('; ') : '—'],
        [
          'decision',
          `${d.outcome}${d.campaignId ? `: ${d.campaignId} v${d.campaignVersion ?? '?'}, segment ${d.segmentId ?? '?'}` : ''}${d.suppression ? ` (${d.suppression})` : ''}`,
        ],
        ...(losers ? ([['not chosen', losers]] as [string, string][]) : []),
      ]),
      '',
    );
  }
  const byCampaign = Object.entries(v.contact.lastByCampaign ?? {})
    .sort(([, x], [, y]) => y.localeCompare(x))
    .map(([c, day]) => `${c} ${day}`)
    .join(', ');
  out.push(
    'Contact history',
    ...table([
      ['last retention email', v.contact.lastRetentionEmailAt ?? '—'],
      ['last by campaign', byCampaign || '—'],
    ]),
    '',
  );
  const pr = v.preferences;
  out.push(
    'Preferences and suppression',
    ...table([
      ['suppressed', v.suppression ?? 'no'],
      [
        'preference centre',
        pr
          ? [
              Object.entries(pr.topics)
                .map(([t, ok]) => `${t} ${yesNo(ok)}`)
                .join(', ') || 'no topic choices',
              pr.frequency ? `at most ${pr.frequency}` : '',
              pr.pausedUntil ? `paused until ${pr.pausedUntil}` : '',
            ]
              .filter(Boolean)
              .join(' · ')
          : 'never used',
      ],
      ...(pr?.recentChanges ?? []).map((c): [string, string] => [
        `  ${c.at.slice(0, 10)}`,
        `${c.source}: ${c.changes.map((x) => `${x.field} ${String(x.from)} → ${String(x.to)}`).join(', ')}`,
      ]),
    ]),
    '',
  );
  out.push(`Ledger ${v.ledger.from} … ${v.ledger.to}`);
  if (v.ledger.entries.length === 0) out.push('  no entries');
  for (const e of v.ledger.entries) {
    const extra = [e.reason, e.messageId ? `message ${e.messageId}` : ''].filter(Boolean).join(' · ');
    out.push(
      `  ${e.runDate}  ${e.campaignId} v${e.campaignVersion}  ${e.segmentId}  ${e.status}${extra ? `  ${extra}` : ''}`,
    );
  }
  return `${out.join('\n')}\n`;
}
