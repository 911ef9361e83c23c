import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { writeIf } from './tableNames.js';

/**
 * Puts a marker item only if none has its key; true when this call created it. The item carries
 * a fresh claim id: when the Put's response is lost and the SDK sends it again, the second attempt
 * fails the condition its own first attempt satisfied, and only a consistent read of the claim
 * tells this call's marker from one an earlier call (a duplicate delivery, a re-import) wrote.
 */
export async function putOnce(
  db: DynamoDBDocumentClient,
  tableName: string,
  key: { pk: string; sk: string },
  attributes: Record<string, unknown>,
): Promise<boolean> {
  const claim = randomUUID();
  const created = await writeIf(() =>
    db.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key, ...attributes, claim },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    ),
  );
  if (created) return true;
  const out = await db.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }));
  return out.Item?.claim === claim;
}
