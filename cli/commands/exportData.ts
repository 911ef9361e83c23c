import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { nightDecisions, writeDecisionsCsv, writeFileAtomically } from '../local/decisions.js';
import { openLocalSession } from '../local/session.js';
import { parseDate } from '../options.js';

export function registerExportCommands(program: Command): void {
  const exp = program.command('export').description('Export data from the local database as CSV');
  exp
    .command('decisions')
    .description(
      "One row per (customer, campaign) decision of a night: customer_id,campaign_id,segment_id,group,status (group: treatment, holdout or global_control; status: the ledger's)",
    )
    .requiredOption('--date <date>', 'the night (YYYY-MM-DD)', parseDate)
    .option('--out <file>', 'write to this file instead of standard output')
    .action(async (opts: { date: string; out?: string }) => {
      const session = await openLocalSession();
      try {
        const pages = await nightDecisions(documentClient(), session.tables, opts.date);
        if (opts.out) {
          const rows = await writeFileAtomically(opts.out, (out) => writeDecisionsCsv(pages, out));
          process.stderr.write(`${opts.out}: ${rows} decisions of the night of ${opts.date}\n`);
        } else {
          await writeDecisionsCsv(pages, process.stdout);
        }
      } finally {
        await session.close();
      }
    });
}
