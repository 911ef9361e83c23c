import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { todayUtc } from '../../functions/domain/night/dates.js';
import { formatCustomerView, loadCustomerView } from '../local/customerShow.js';
import { openLocalSession } from '../local/session.js';
import { parsePositiveInt } from '../options.js';

export function registerCustomerCommands(program: Command): void {
  const customer = program.command('customer').description('Look up customers in the local database');
  customer
    .command('show <id>')
    .description(
      "One customer: profile (address masked), purchase aggregates, last night's scores, stage, signals and decision, contact history, preferences and consent, suppression, recent ledger entries",
    )
    .option('--json', 'print one JSON object')
    .option('--ledger-days <n>', 'days of ledger entries to list, up to the last night', parsePositiveInt, 30)
    .action(async (id: string, opts: { json?: boolean; ledgerDays: number }) => {
      const session = await openLocalSession();
      try {
        const view = await loadCustomerView(documentClient(), session.tables, id, {
          today: todayUtc(),
          ledgerDays: opts.ledgerDays,
          erasureSalt: session.config.ERASURE_SALT,
        });
        process.stdout.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : formatCustomerView(view));
      } finally {
        await session.close();
      }
    });
}
