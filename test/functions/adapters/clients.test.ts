import { afterEach, describe, expect, it } from 'vitest';
import { documentClient, resetClients, sesClient } from '../../../functions/adapters/clients.js';

describe('AWS clients', () => {
  afterEach(() => resetClients());

  it('leave out the SDK logger middleware (it filters every request for a no-op logger) and keep the work counters', () => {
    process.env.AWS_REGION ??= 'us-east-1';
    const dynamo = documentClient().middlewareStack.identify();
    const ses = sesClient().middlewareStack.identify();
    expect(dynamo.some((m) => m.startsWith('loggerMiddleware'))).toBe(false);
    expect(ses.some((m) => m.startsWith('loggerMiddleware'))).toBe(false);
    expect(dynamo.some((m) => m.startsWith('retentionWorkCounter'))).toBe(true);
    expect(ses.some((m) => m.startsWith('retentionSesCounter'))).toBe(true);
  });
});
