import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { orderAttribution } from '../../functions/adapters/attributionStore.js';
import { documentClient } from '../../functions/adapters/clients.js';
import {
  type ImportReport,
  importCustomers,
  importOrders,
} from '../../functions/domain/ingest/importService.js';
import { openLocalSession } from '../local/session.js';

function report(r: ImportReport): void {
  if (r.ok) {
    const attributed = r.attributed === undefined ? '' : `, ${r.attributed} attributed to a decision`;
    process.stdout.write(
      `${r.file}: ${r.rows} rows, ${r.written} written, ${r.unchanged} unchanged${attributed}\n`,
    );
    return;
  }
  for (const p of r.problems) process.stderr.write(`${r.file}:${p.line}: ${p.message}\n`);
  process.stderr.write(
    `${r.file}: rejected, nothing was imported (${r.problems.length} problem${r.problems.length === 1 ? '' : 's'})\n`,
  );
  process.exitCode = 1;
}

export function registerImportCommands(program: Command): void {
  const imp = program
    .command('import')
    .description('Import customers or orders into the local database (CSV with a header, or JSON Lines)');
  imp
    .command('customers <file>')
    .description(
      'customer_id,email,first_name,last_name,country,language,time_zone,birth_date,signup_date,email_consent,consent_topics[,custom attributes...]',
    )
    .action(async (file: string) => {
      const text = await readFile(file, 'utf8');
      const session = await openLocalSession();
      try {
        report(await importCustomers(file, text, session.customers));
      } finally {
        await session.close();
      }
    });
  imp
    .command('orders <file>')
    .description('order_id,customer_id,date,amount[,currency]')
    .action(async (file: string) => {
      const text = await readFile(file, 'utf8');
      const session = await openLocalSession();
      try {
        report(
          await importOrders(file, text, session.customers, {
            retentionDays: session.config.ORDER_RETENTION_DAYS,
            attribution: orderAttribution(documentClient(), session.config),
          }),
        );
      } finally {
        await session.close();
      }
    });
}
