// `retention chaos`: nights under injected faults, restarted as an operator would, checked against
// a fault-free run of the same nights (cli/chaos/, docs/reliability.md).
import type { Command } from 'commander';
import type { ChaosReport } from '../chaos/harness.js';
import { parseDate, parsePositiveInt } from '../options.js';

export function registerChaosCommand(program: Command): void {
  program
    .command('chaos')
    .description(
      'Run nights locally under injected faults (SES errors, crashes, DynamoDB throttling, timeouts, ' +
        'duplicated SES events, clock skew) and check the invariants; exits 1 when one breaks',
    )
    .option('--customers <n>', 'synthetic customers', parsePositiveInt, 300)
    .option('--nights <k>', 'nights in a row', parsePositiveInt, 2)
    .option('--faults <list>', 'all, none, or kind[=rate],… (see docs/reliability.md)', 'all')
    .option('--seed <s>', 'seed of the population and of the faults', parsePositiveInt, 7)
    .option(
      '--start <date>',
      'the first night (the second crosses a daylight-saving change)',
      parseDate,
      '2026-10-31',
    )
    .option('--page-size <n>', 'customers per scan page', parsePositiveInt, 50)
    .option('--json', 'print the figures and invariants as one JSON object')
    .action(
      async (opts: {
        customers: number;
        nights: number;
        faults: string;
        seed: number;
        start: string;
        pageSize: number;
        json?: boolean;
      }) => {
        // Loaded on demand: the harness builds the CDK app and starts the embedded services.
        const { parseFaultList } = await import('../chaos/faults.js');
        const { runChaos } = await import('../chaos/harness.js');
        const faults = parseFaultList(opts.faults);
        const report = await runChaos({
          customers: opts.customers,
          nights: opts.nights,
          seed: opts.seed,
          startDate: opts.start,
          pageSize: opts.pageSize,
          faults,
          log: (line) => {
            if (!opts.json) process.stderr.write(`${line}\n`);
          },
        });
        process.stdout.write(opts.json ? `${JSON.stringify(report)}\n` : formatChaos(report));
        if (!report.ok) process.exitCode = 1;
      },
    );
}

export function formatChaos(r: ChaosReport): string {
  const lines = [
    `chaos: ${r.customers} customers × ${r.nights} nights, seed ${r.seed}: ${r.ok ? 'every invariant holds' : 'INVARIANT BROKEN'}`,
    `  injected   ${Object.entries(r.injected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `  restarts ${r.restarts}, re-runs ${r.reruns}, runs per night ${r.attemptsPerNight.join(', ')}`,
    `  emails ${r.emails} (sent ${r.sent}, ambiguous ${r.ambiguous}, failed ${r.failed}, skipped ${r.skipped}), duplicates ${r.duplicates}`,
  ];
  for (const [name, inv] of Object.entries(r.invariants)) {
    lines.push(`  ${inv.ok ? 'ok  ' : 'FAIL'} ${name}${inv.ok ? '' : ` (${inv.violations})`}`);
    for (const e of inv.examples) lines.push(`         ${e}`);
  }
  lines.push(
    `  wall time: reference ${(r.wallMs.reference / 1000).toFixed(1)} s, chaos ${(r.wallMs.chaos / 1000).toFixed(1)} s`,
  );
  return `${lines.join('\n')}\n`;
}
