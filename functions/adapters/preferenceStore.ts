import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  applyPreferenceChange,
  type CustomerPreferences,
  CustomerPreferencesSchema,
  type PreferenceChange,
  type PreferenceHistoryEntry,
} from '../domain/preferences/preferences.js';
import type { Consent } from '../domain/types.js';
import { type TableNames, writeIf } from './tableNames.js';

/** What the preference centre reads of a customer: the imported consent and their own choices. */
export interface PreferenceSubject {
  customerId: string;
  email: string;
  consent: Consent;
  preferences?: CustomerPreferences | undefined;
}

export type PreferenceUpdate =
  | { outcome: 'changed'; subject: PreferenceSubject; entry: PreferenceHistoryEntry }
  | { outcome: 'unchanged'; subject: PreferenceSubject }
  | { outcome: 'missing' };

export class UnreadablePreferencesError extends Error {
  override name = 'UnreadablePreferencesError';
}

/** Writes that lost a race with another change of the same customer are retried this often. */
const MAX_ATTEMPTS = 5;

/**
 * The customer's preferences, on the customer item (`preferences`): one conditional UpdateItem per
 * change writes the new state and its history entry together, guarded by the version it was computed
 * from, so two concurrent submissions cannot overwrite each other and a retry cannot apply twice.
 */
export class PreferenceStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
  ) {}

  async load(customerId: string): Promise<PreferenceSubject | undefined> {
    const out = await this.db.send(
      new GetCommand({
        TableName: this.tables.customers,
        Key: { customerId },
        ConsistentRead: true,
        ProjectionExpression: 'customerId, profile.email, profile.consent, preferences',
      }),
    );
    const item = out.Item as
      | { customerId: string; profile?: { email?: string; consent?: Consent }; preferences?: unknown }
      | undefined;
    if (!item?.profile?.consent) return undefined;
    let preferences: CustomerPreferences | undefined;
    if (item.preferences !== undefined) {
      const parsed = CustomerPreferencesSchema.safeParse(item.preferences);
      if (!parsed.success)
        throw new UnreadablePreferencesError(`stored preferences of ${customerId} do not parse`);
      preferences = parsed.data;
    }
    return { customerId, email: item.profile.email ?? '', consent: item.profile.consent, preferences };
  }

  /** Stores `next` if the stored version is still `expectedVersion` (0: none stored yet). */
  async save(customerId: string, expectedVersion: number, next: CustomerPreferences): Promise<boolean> {
    return writeIf(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tables.customers,
          Key: { customerId },
          UpdateExpression: 'SET #p = :p',
          ConditionExpression:
            expectedVersion === 0
              ? 'attribute_exists(customerId) AND attribute_not_exists(#p)'
              : 'attribute_exists(customerId) AND #p.#v = :v',
          ExpressionAttributeNames: {
            '#p': 'preferences',
            ...(expectedVersion === 0 ? {} : { '#v': 'version' }),
          },
          ExpressionAttributeValues: {
            ':p': next,
            ...(expectedVersion === 0 ? {} : { ':v': expectedVersion }),
          },
        }),
      ),
    );
  }

  /** Applies one change from `source` at `at`: read, compute, conditional write, again on a lost race. */
  async update(
    customerId: string,
    change: PreferenceChange,
    at: Date,
    source: string,
  ): Promise<PreferenceUpdate> {
    for (let attempt = 1; ; attempt++) {
      const subject = await this.load(customerId);
      if (!subject) return { outcome: 'missing' };
      const applied = applyPreferenceChange(
        customerId,
        subject.preferences,
        change,
        at,
        source,
        subject.consent.topics,
      );
      if (!applied) return { outcome: 'unchanged', subject };
      if (await this.save(customerId, subject.preferences?.version ?? 0, applied.next)) {
        return {
          outcome: 'changed',
          subject: { ...subject, preferences: applied.next },
          entry: applied.entry,
        };
      }
      if (attempt >= MAX_ATTEMPTS) throw new Error(`preferences of ${customerId} kept changing; not saved`);
    }
  }
}
