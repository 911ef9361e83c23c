import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Arms one lost response on a real client: the next `command` reaches the embedded DynamoDB and is
 * applied, then its response is dropped as a reset connection would drop it, so the SDK's own
 * retry loop sends the same request again. Returns how to take the middleware off, and how many
 * responses it dropped.
 */
export function loseNextResponse(client: DynamoDBDocumentClient, command: string) {
  let armed = true;
  let dropped = 0;
  const name = `testLostResponse${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (armed && context.commandName === command) {
        armed = false;
        dropped += 1;
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} });
      }
      return result;
    },
    { step: 'deserialize', name },
  );
  return {
    dropped: () => dropped,
    remove: () => client.middlewareStack.remove(name),
  };
}
