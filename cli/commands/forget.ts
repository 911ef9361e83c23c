import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { forgetPorts } from '../../functions/adapters/erasure.js';
import { tableNames } from '../../functions/adapters/tableNames.js';
import { ConfigSchema } from '../../functions/config.js';
import { type ForgetResult, forgetCustomer } from '../../functions/domain/erasure/forget.js';
import { pruneExpired } from '../local/prune.js';
import { openLocalSession } from '../local/session.js';
import { parseDate } from '../options.js';

// `retention forget` runs the same domain function and adapters locally and against AWS: with
// `--target aws` the SDK uses the ordinary credential chain and the table names and salt of the
// deployment from the environment (as the stack's outputs and functions have them).
const AwsSettings = ConfigSchema.pick({
  CUSTOMERS_TABLE: true,
  ORDERS_TABLE: true,
  CONFIG_TABLE: true,
  LEDGER_TABLE: true,
  SUPPRESSION_TABLE: true,
  ERASURE_SALT: true,
});

export function registerForgetCommand(program: Command): void {
  program
    .command('forget <customerId>')
    .description(
      'Erase a person (GDPR): profile, preferences, orders, decisions, sends and their events; a salted hash of the address stays suppressed so they are never mailed again',
    )
    .option(
      '--target <target>',
      'local (the local database) or aws (the deployed tables, from the environment)',
      'local',
    )
    .option('--json', 'print the result as one JSON object')
    .action(async (customerId: string, opts: { target: string; json?: boolean }) => {
      if (opts.target !== 'local' && opts.target !== 'aws')
        throw new Error(`--target must be local or aws, got "${opts.target}"`);
      let result: ForgetResult;
      if (opts.target === 'aws') {
        const parsed = AwsSettings.safeParse(process.env);
        if (!parsed.success) {
          const missing = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
          throw new Error(
            `forget --target aws needs the deployment's table names and ERASURE_SALT in the environment: ${missing}`,
          );
        }
        result = await forgetCustomer(
          forgetPorts(documentClient(), tableNames(parsed.data), parsed.data.ERASURE_SALT),
          customerId,
          { salt: parsed.data.ERASURE_SALT, now: new Date() },
        );
      } else {
        const session = await openLocalSession();
        try {
          result = await forgetCustomer(
            forgetPorts(documentClient(), session.tables, session.config.ERASURE_SALT),
            customerId,
            { salt: session.config.ERASURE_SALT, now: new Date() },
          );
        } finally {
          await session.close();
        }
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
      else process.stdout.write(`${describe(result)}\n`);
      if (result.status === 'unknown') process.exitCode = 1;
    });
}

export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description(
      'Delete the local items whose retention period has passed (orders, ledger entries, run records, parked events): what DynamoDB TTL does on AWS',
    )
    .option('--as-of <date>', 'prune as if it were this day (default now)', parseDate)
    .option('--json', 'print the result as one JSON object')
    .action(async (opts: { asOf?: string; json?: boolean }) => {
      const session = await openLocalSession();
      try {
        const now = opts.asOf ? new Date(`${opts.asOf}T00:00:00Z`) : new Date();
        const result = await pruneExpired(documentClient(), session.tables, now);
        if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
        else
          process.stdout.write(
            `pruned as of ${result.asOf}: ${Object.entries(result.deleted)
              .map(([t, n]) => `${t} ${n}`)
              .join(', ')} expired items deleted (${result.scanned} scanned)\n`,
          );
      } finally {
        await session.close();
      }
    });
}

function describe(result: ForgetResult): string {
  if (result.status === 'unknown')
    return `forget: no customer ${result.customerId} (no profile and nothing stored under that id); nothing was changed`;
  if (result.status === 'already_forgotten')
    return `customer ${result.customerId} was already forgotten on ${result.at}; nothing left to erase`;
  const parts = Object.entries(result.erased).map(([store, n]) => `${store} ${n}`);
  return `forgot customer ${result.customerId}: deleted ${parts.join(', ')}; the address stays suppressed as a salted hash`;
}
