import { BatchGetCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { erasedEmailHash, normaliseEmail } from '../domain/erasure/forget.js';
import type { TableNames } from './tableNames.js';
import { writeIf } from './tableNames.js';

export type SuppressionReason = 'unsubscribed' | 'hard_bounce' | 'complaint' | 'manual' | 'erasure';

export interface SuppressionEntry {
  subject: string;
  reason: SuppressionReason;
  createdAt: string;
  source: string;
}

/** Suppression applies to a customer (unsubscribe, erasure) or to an address (bounce, complaint). */
export const customerSubject = (customerId: string) => `customer#${customerId}`;
export const emailSubject = (email: string) => `email#${normaliseEmail(email)}`;
/** An erased person's address: only its salted hash is kept (functions/domain/erasure/forget.ts). */
export const erasedEmailSubject = (hash: string) => `erased-email#${hash}`;
/** Marks a customer id as forgotten (when), so a repeated `forget` says so. */
export const forgottenSubject = (customerId: string) => `forgotten#${customerId}`;

export class SuppressionStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tables: TableNames,
    /** The deployment's ERASURE_SALT: an erased address is found by its salted hash. */
    private readonly erasureSalt: string,
  ) {}

  /** Adds a suppression; the first reason recorded wins, repeats are harmless. */
  async suppress(subject: string, reason: SuppressionReason, source: string, now: Date): Promise<boolean> {
    return writeIf(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tables.suppression,
          Item: { subject, reason, source, createdAt: now.toISOString() },
          ConditionExpression: 'attribute_not_exists(subject)',
        }),
      ),
    );
  }

  /** Which of the customers are suppressed, by customer id, by their address, or as an erased address. */
  async suppressedAmong(
    customers: readonly { customerId: string; email: string }[],
  ): Promise<Map<string, SuppressionReason>> {
    const bySubject = new Map<string, string[]>();
    for (const c of customers) {
      for (const subject of [
        customerSubject(c.customerId),
        emailSubject(c.email),
        erasedEmailSubject(erasedEmailHash(c.email, this.erasureSalt)),
      ]) {
        const list = bySubject.get(subject) ?? [];
        list.push(c.customerId);
        bySubject.set(subject, list);
      }
    }
    const subjects = [...bySubject.keys()];
    const result = new Map<string, SuppressionReason>();
    for (let i = 0; i < subjects.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = subjects
        .slice(i, i + 100)
        .map((subject) => ({ subject }));
      while (keys && keys.length > 0) {
        const out = await this.db.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.suppression]: { Keys: keys, ConsistentRead: true } },
          }),
        );
        for (const item of out.Responses?.[this.tables.suppression] ?? []) {
          for (const customerId of bySubject.get(String(item.subject)) ?? []) {
            result.set(customerId, item.reason as SuppressionReason);
          }
        }
        keys = out.UnprocessedKeys?.[this.tables.suppression]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return result;
  }
}
