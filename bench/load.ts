import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchWriteCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { exampleCampaignFiles, pushCampaignFiles } from '../cli/local/campaigns.js';
import { runNight } from '../cli/local/runNight.js';
import { openLocalSession } from '../cli/local/session.js';
import { seedPopulation } from '../cli/seed/load.js';
import { documentClient } from '../functions/adapters/clients.js';
import { RunStore } from '../functions/adapters/runStore.js';
import { addDays } from '../functions/domain/night/dates.js';

/**
 * The load bench: one night at each population size of `sizes` (default 100,000; with
 * `--customers 1000000`, 100,000 and then 1,000,000 in the same run, the population grown in place),
 * on the embedded DynamoDB kept on disk (LevelDB, as `npm start` does) in its child process.
 * For each size: the night's wall time and throughput, the peak RSS of this process (the pipeline:
 * handlers, state machine, adapters), of the database process and of the SES emulator's process
 * (which keeps every accepted email in memory, so it grows with the mail sent, not with the
 * pipeline), and the same database doing only a bare parallel scan of the customers plus the
 * writes the night needs (a customer write per customer it rewrote, a ledger item per decision, an
 * outcome per email): the ratio says what the pipeline costs over the minimum.
 */
export async function benchLoad(sizes: readonly number[]): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'retention-load-'));
  const session = await openLocalSession({ home, persist: true });
  const db = documentClient();
  const children = { db: childPid('dynaliteServer'), ses: childPid('sesServer') };
  const sampler = startRssSampler(children);
  const line = (k: string, v: string) => process.stdout.write(`  ${k.padEnd(44)} ${v}\n`);
  try {
    await pushCampaignFiles(session.campaigns, await exampleCampaignFiles(process.cwd()), 'bench');
    let seeded = 0;
    const firstNight = '2026-11-20';
    for (const [i, size] of sizes.entries()) {
      const runDate = addDays(firstNight, i);
      const seed = await seedPopulation(db, session.tables, {
        customers: size,
        from: seeded,
        seed: 42,
        asOf: addDays(firstNight, -1),
        orderRetentionDays: session.config.ORDER_RETENTION_DAYS,
      });
      seeded = size;
      sampler.reset();
      const night = await runNight({ runDate });
      const nightPeak = sampler.peak();
      const s = night.summary;
      const chosen = Object.values(s.campaigns).reduce((n, c) => n + c.chosen, 0);
      const baseline = await bareScanAndWrites(session.tables, {
        customers: size,
        segments: session.config.TOTAL_SEGMENTS,
        pageSize: session.config.SCAN_PAGE_SIZE,
        customerWrites: s.work.customersWritten,
        ledgerWrites: chosen,
        outcomeWrites: s.send.sent ?? 0,
        tag: `bench${i}`,
      });
      process.stdout.write(
        `\nload: night of ${runDate}, ${size.toLocaleString('en')} customers (LevelDB on disk, dynalite in a child process)\n`,
      );
      line('seed (this step)', `${(seed.ms / 1000).toFixed(1)} s`);
      line('night wall time', `${(night.wallMs / 1000).toFixed(1)} s`);
      for (const [k, v] of Object.entries(night.stateWallMs))
        line(`  ${k} (wall)`, `${(v / 1000).toFixed(1)} s`);
      line(
        'customers per second (whole night)',
        Math.round(s.customers / (night.wallMs / 1000)).toLocaleString('en'),
      );
      line(
        'customers written / chosen / sent',
        `${s.work.customersWritten} / ${chosen} / ${s.send.sent ?? 0}`,
      );
      line(
        'customers unchanged / already done / raced',
        `${s.work.customersUnchanged} / ${s.work.customersAlreadyDone} / ${s.work.customersRaced}`,
      );
      line(
        'score / send invocations',
        `${s.work.scoreInvocations} (${s.work.segments} segments) / ${s.work.sendInvocations}`,
      );
      line('incomplete segments', String(s.work.incompleteSegments));
      for (const p of await new RunStore(db, session.tables).listProgress(runDate, 'score'))
        line(`  score segment ${p.segment}`, `${p.invocations} invocations, ${p.writes ?? 0} saves`);
      const ddb = night.work.dynamodb;
      line('DynamoDB SDK retries / failed conditions', `${ddb.sdkRetries} / ${ddb.conditionalCheckFailures}`);
      line('stale progress records saved over', String(ddb.staleProgressRecords));
      line('invocations past their timeout', String(night.invocationsPastTimeout));
      line('failed state attempts', night.failures.length === 0 ? '0' : '');
      for (const f of night.failures)
        line(`  ${(f.atMs / 1000).toFixed(1)} s ${f.state}`, `${f.error}: ${f.cause.slice(0, 160)}`);
      line(
        'peak RSS this process (during the night)',
        `${mb(nightPeak.self)} MB (lifetime max ${mb(maxRss())} MB)`,
      );
      line(
        'peak RSS database process',
        children.db ? `${mb(nightPeak.db)} MB (VmHWM ${mb(hwm(children.db))} MB)` : 'n/a',
      );
      line(
        'peak RSS SES emulator (its mailbox)',
        children.ses ? `${mb(nightPeak.ses)} MB (VmHWM ${mb(hwm(children.ses))} MB)` : 'n/a',
      );
      line('bare parallel scan + the same writes', `${(baseline.ms / 1000).toFixed(1)} s`);
      line('night / bare scan + writes', `${(night.wallMs / baseline.ms).toFixed(2)}×`);
      if (s.customers !== size) throw new Error(`the night saw ${s.customers} customers, expected ${size}`);
    }
  } finally {
    sampler.stop();
    await session.close();
    rmSync(home, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => Math.round(bytes / 1024 / 1024).toLocaleString('en');
const maxRss = () => process.resourceUsage().maxRSS * 1024;

/** The pid of this process's child whose command line names `script` (dynaliteServer, sesServer). */
function childPid(script: string): number | undefined {
  try {
    for (const task of readdirSync('/proc/self/task')) {
      for (const pid of readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script)) return Number(pid);
      }
    }
  } catch {
    // Not Linux: no figures for the child processes.
  }
  return undefined;
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}
const hwm = (pid: number) => statusKb(pid, 'VmHWM');

function startRssSampler(children: { db: number | undefined; ses: number | undefined }) {
  let self = 0;
  let db = 0;
  let ses = 0;
  const sample = () => {
    self = Math.max(self, process.memoryUsage.rss());
    if (children.db) db = Math.max(db, statusKb(children.db, 'VmRSS'));
    if (children.ses) ses = Math.max(ses, statusKb(children.ses, 'VmRSS'));
  };
  const timer = setInterval(sample, 250);
  timer.unref();
  return {
    reset() {
      self = 0;
      db = 0;
      ses = 0;
      sample();
    },
    peak() {
      sample();
      return { self, db, ses };
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * The floor a night is measured against: a parallel scan of every customer (full items, as the
 * night reads them) by `segments` workers, each page's share of the customer writes issued together,
 * then the ledger items and outcomes in batches of 25. Writes go to throwaway attributes and keys.
 */
async function bareScanAndWrites(
  tables: { customers: string; ledger: string },
  o: {
    customers: number;
    segments: number;
    pageSize: number;
    customerWrites: number;
    ledgerWrites: number;
    outcomeWrites: number;
    tag: string;
  },
): Promise<{ ms: number }> {
  const db = documentClient();
  const started = performance.now();
  let writesLeft = o.customerWrites;
  await Promise.all(
    Array.from({ length: o.segments }, async (_, segment) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await db.send(
          new ScanCommand({
            TableName: tables.customers,
            Segment: segment,
            TotalSegments: o.segments,
            Limit: o.pageSize,
            ExclusiveStartKey: startKey,
          }),
        );
        startKey = page.LastEvaluatedKey;
        const items = page.Items ?? [];
        const share = Math.min(writesLeft, Math.ceil(items.length * (o.customerWrites / o.customers)));
        writesLeft -= share;
        // A dozen writes in flight per segment: within the SDK's 50 sockets, as the night's writes are.
        const writes = items.slice(0, share);
        for (let w = 0; w < writes.length; w += 12) {
          await Promise.all(
            writes.slice(w, w + 12).map((item) =>
              db.send(
                new UpdateCommand({
                  TableName: tables.customers,
                  Key: { customerId: item.customerId },
                  UpdateExpression: 'SET benchTouch = :t',
                  ExpressionAttributeValues: { ':t': o.tag },
                }),
              ),
            ),
          );
        }
      } while (startKey);
    }),
  );
  const puts = (n: number, kind: string) =>
    Array.from({ length: n }, (_, i) => ({
      PutRequest: {
        Item: { sendKey: `${o.tag}#${kind}#${i}`, runShard: `${o.tag}#${i % o.segments}`, status: 'queued' },
      },
    }));
  const requests = [...puts(o.ledgerWrites, 'entry'), ...puts(o.outcomeWrites, 'outcome')];
  const batches: (typeof requests)[] = [];
  for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
  await Promise.all(
    Array.from({ length: o.segments }, async () => {
      for (let b = batches.shift(); b; b = batches.shift()) {
        let pending: typeof b | undefined = b;
        while (pending && pending.length > 0) {
          const out = await db.send(new BatchWriteCommand({ RequestItems: { [tables.ledger]: pending } }));
          pending = out.UnprocessedItems?.[tables.ledger] as typeof b | undefined;
        }
      }
    }),
  );
  return { ms: performance.now() - started };
}

if (process.argv[1] === fileURLToPath(import.meta.url))
  await benchLoad([Number(process.env.BENCH_CUSTOMERS ?? 100_000)]);
