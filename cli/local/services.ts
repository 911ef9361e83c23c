import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resetClients } from '../../functions/adapters/clients.js';
import { TABLE_SCHEMAS } from '../../functions/adapters/tables.js';
import { localPaths } from './paths.js';
import { attachSharedDatabase } from './sharedDatabase.js';

export interface LocalServices {
  home: string;
  dynamoEndpoint: string;
  sesEndpoint: string;
  /** Environment the handlers read: endpoints, table names, sender settings. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalServiceOptions {
  home: string;
  /** Keep DynamoDB data on disk under home (default) or only in memory (tests). */
  persist?: boolean;
  /** Port of the local unsubscribe server the emails link to. */
  unsubscribePort?: number;
  overrides?: Record<string, string>;
  /** How this process is named to other processes sharing the folder (default `retention <command>`). */
  command?: string;
}

export const LOCAL_TABLE_PREFIX = 'retention-';

/**
 * Starts the embedded DynamoDB (dynalite) and the SES v2 emulator, each in a child process of its
 * own (the database shared with other CLI processes when it is on disk), both bound to 127.0.0.1
 * on free ports, creates the tables from the same schemas the CDK app deploys, and
 * points the AWS SDK at them through the standard AWS_ENDPOINT_URL_* variables.
 */
export async function startLocalServices(options: LocalServiceOptions): Promise<LocalServices> {
  const paths = localPaths(options.home);
  mkdirSync(paths.home, { recursive: true });
  const persist = options.persist ?? true;
  if (persist) mkdirSync(paths.dynamodb, { recursive: true });

  // On disk, the folder's database is shared with any other CLI process using it (one server for
  // all, see sharedDatabase.ts); in memory (tests) each process has a private one.
  const dynamo = persist
    ? await startSharedDynalite(paths.home, paths.dynamodb, options.command)
    : await startChildServer('embedded DynamoDB', './dynaliteServer.mjs', ['']);
  const dynamoPort = dynamo.port;

  const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
  const unsubscribePort = options.unsubscribePort ?? 8787;

  if (!existsSync(paths.keys)) {
    writeFileSync(
      paths.keys,
      `${JSON.stringify({ activeKeyId: 'local1', local1: randomBytes(32).toString('base64url') }, null, 2)}\n`,
      {
        mode: 0o600,
      },
    );
  }
  JSON.parse(readFileSync(paths.keys, 'utf8'));

  const sesAccount =
    options.overrides?.AWS_SES_ACCOUNT ??
    sesAccountJson({ Max24HourSend: 1_000_000, MaxSendRate: 1000, SentLast24Hours: 0 });
  // The emulator answers GetAccount from its own environment, so the account goes in at its start.
  const ses = await startChildServer('SES v2 emulator', './sesServer.mjs', [], {
    ...process.env,
    AWS_SES_ACCOUNT: sesAccount,
  }).catch(async (error: unknown) => {
    await dynamo.stop();
    throw error;
  });
  const sesEndpoint = `http://127.0.0.1:${ses.port}`;

  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SESV2: sesEndpoint,
    AWS_SES_ACCOUNT: sesAccount,
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_SERVICE_NAME: 'retention-pipeline',
    SENDER_EMAIL: 'offers@shop.example.com',
    SENDER_NAME: 'Example Shop',
    POSTAL_ADDRESS: 'Example Shop Ltd, 1 Example Street, Springfield 12345, USA',
    UNSUBSCRIBE_BASE_URL: `http://127.0.0.1:${unsubscribePort}/u`,
    UNSUBSCRIBE_KEYS_FILE: paths.keys,
    MAX_SEND_RATE: '1000',
    TOTAL_SEGMENTS: '4',
    // Send waves locally: skip the waits, stamp each email with its scheduled moment (runNight sets the start).
    SEND_CLOCK: 'simulated',
    ...Object.fromEntries(TABLE_SCHEMAS.map((t) => [t.envVar, `${LOCAL_TABLE_PREFIX}${t.name}`])),
    ...options.overrides,
  };
  Object.assign(process.env, env);
  resetClients();
  await ensureTables(dynamoEndpoint);

  return {
    home: paths.home,
    dynamoEndpoint,
    sesEndpoint,
    env,
    async stop() {
      resetClients();
      await Promise.all([dynamo.stop(), ses.stop()]);
    },
  };
}

/**
 * The emulator's GetAccount answer (AWS_SES_ACCOUNT). It validates the whole account object and
 * answers 400 when only SendQuota is given, so the handlers would never learn the quota.
 */
export function sesAccountJson(sendQuota: {
  Max24HourSend: number;
  MaxSendRate: number;
  SentLast24Hours: number;
}): string {
  return JSON.stringify({
    DedicatedIpAutoWarmupEnabled: false,
    Details: {
      AdditionalContactEmailAddresses: [],
      ContactLanguage: 'EN',
      MailType: 'MARKETING',
      ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
      UseCaseDescription: 'local runs',
      WebsiteURL: 'http://127.0.0.1',
    },
    EnforcementStatus: 'HEALTHY',
    ProductionAccessEnabled: true,
    SendingEnabled: true,
    SendQuota: sendQuota,
    SuppressionAttributes: { SuppressedReasons: [] },
  });
}

async function ensureTables(endpoint: string): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const schema of TABLE_SCHEMAS) {
      const TableName = `${LOCAL_TABLE_PREFIX}${schema.name}`;
      try {
        await client.send(new DescribeTableCommand({ TableName }));
        continue;
      } catch (error) {
        if ((error as { name?: string }).name !== 'ResourceNotFoundException') throw error;
      }
      const attributes = new Set<string>([schema.partitionKey]);
      if (schema.sortKey) attributes.add(schema.sortKey);
      for (const gsi of schema.globalIndexes ?? []) {
        attributes.add(gsi.partitionKey);
        if (gsi.sortKey) attributes.add(gsi.sortKey);
      }
      await client.send(
        new CreateTableCommand({
          TableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [...attributes].map((AttributeName) => ({
            AttributeName,
            AttributeType: 'S',
          })),
          KeySchema: [
            { AttributeName: schema.partitionKey, KeyType: 'HASH' },
            ...(schema.sortKey ? [{ AttributeName: schema.sortKey, KeyType: 'RANGE' as const }] : []),
          ],
          GlobalSecondaryIndexes: schema.globalIndexes?.map((gsi) => ({
            IndexName: gsi.indexName,
            KeySchema: [
              { AttributeName: gsi.partitionKey, KeyType: 'HASH' as const },
              ...(gsi.sortKey ? [{ AttributeName: gsi.sortKey, KeyType: 'RANGE' as const }] : []),
            ],
            Projection: { ProjectionType: 'ALL' },
          })),
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

interface RunningServer {
  port: number;
  stop(): Promise<void>;
}

async function startSharedDynalite(home: string, path: string, command?: string): Promise<RunningServer> {
  const shared = await attachSharedDatabase({
    home,
    path,
    command: command ?? `retention ${process.argv.slice(2).find((a) => !a.startsWith('-')) ?? ''}`.trim(),
    // How long to wait for a database that another process holds but that does not answer.
    timeoutMs: Number(process.env.RETENTION_DB_WAIT_MS ?? 15_000),
  });
  return { port: shared.port, stop: () => shared.release() };
}

/**
 * One of the embedded servers in a child process: it prints `LISTENING <port>` once it serves and
 * exits when this process closes its stdin (or dies), so it never outlives the CLI.
 */
async function startChildServer(
  name: string,
  script: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<RunningServer> {
  const path = fileURLToPath(new URL(script, import.meta.url));
  const child = spawn(process.execPath, [path, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const match = /LISTENING (\d+)/.exec(buffered);
      if (match) {
        child.stdout.off('data', onData);
        resolve(Number(match[1]));
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${name} exited before listening (code ${code})`)));
    child.once('error', reject);
  });
  // Never keep the CLI alive for the child's sake.
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        // Keep the event loop alive until the server has flushed and exited.
        child.ref();
        child.once('exit', () => resolve());
        child.stdin.end();
      }),
  };
}
