import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { nightDecisions, writeFileAtomically } from '../local/decisions.js';
import { openLocalSession } from '../local/session.js';
import { parseDate, parsePositiveInt } from '../options.js';
import {
  checkResponseOptions,
  DEFAULT_ORDER_MEAN,
  type ResponseOptions,
  writeResponsesCsv,
} from '../seed/responseSimulator.js';

function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`expected a number, got "${value}"`);
  return n;
}

/** `retention seed responses`, under the existing `seed` command (registerLocalCommands runs first). */
export function registerSeedResponsesCommand(program: Command): void {
  const seed = program.commands.find((c) => c.name() === 'seed') ?? program.command('seed');
  // `seed` has a --seed option of its own; without positional options the parent would take
  // `seed responses --seed 5` for itself. Positional on the program and on `seed` hands everything
  // after a subcommand's name to that subcommand (the program has no options of its own; commands
  // created earlier keep their settings).
  program.enablePositionalOptions();
  seed.enablePositionalOptions();
  seed
    .command('responses')
    .description(
      "Simulate customers' orders after a night: everyone decided buys with the base rate, treatment customers with base rate + uplift; writes an orders CSV for `retention import orders`",
    )
    .requiredOption('--date <date>', 'the night whose decisions respond (YYYY-MM-DD)', parseDate)
    .requiredOption(
      '--uplift <x>',
      'absolute extra purchase probability of treatment customers, e.g. 0.02',
      parseNumber,
    )
    .requiredOption('--out <file>', 'the orders CSV to write')
    .option(
      '--base-rate <r>',
      'purchase probability within the window of every decided customer',
      parseNumber,
      0.05,
    )
    .option('--days <n>', 'the window: orders fall on the n days after the night', parsePositiveInt, 14)
    .option('--order-value <mean>', 'mean order value (Gamma, shape 4)', parseNumber, DEFAULT_ORDER_MEAN)
    .option('--currency <code>', 'currency of the orders', 'EUR')
    .option('--seed <s>', 'random seed', (v) => Number.parseInt(v, 10), 1)
    .action(
      async (opts: {
        date: string;
        uplift: number;
        out: string;
        baseRate: number;
        days: number;
        orderValue: number;
        currency: string;
        seed: number;
      }) => {
        const options: ResponseOptions = {
          runDate: opts.date,
          baseRate: opts.baseRate,
          extraRateForTreatment: opts.uplift,
          orderValue: { kind: 'gamma', mean: opts.orderValue, shape: 4 },
          days: opts.days,
          seed: opts.seed,
          currency: opts.currency,
        };
        checkResponseOptions(options);
        const session = await openLocalSession();
        try {
          const pages = await nightDecisions(documentClient(), session.tables, opts.date);
          const n = await writeFileAtomically(opts.out, (out) => writeResponsesCsv(pages, options, out));
          process.stderr.write(`${opts.out}: ${n} simulated orders after the night of ${opts.date}\n`);
        } finally {
          await session.close();
        }
      },
    );
}
