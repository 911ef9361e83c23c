import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { documentClient } from '../../functions/adapters/clients.js';
import { SendingControl } from '../../functions/adapters/sendingControl.js';
import type { SendingSwitch } from '../../functions/domain/delivery/guardrail.js';
import { openLocalSession } from '../local/session.js';

interface TargetOptions {
  target: string;
  table?: string;
}

/**
 * Runs `fn` with the kill switch of the local database or, with `--target aws`, of the deployed
 * config table (credentials and region from the usual AWS environment): the same adapter either way.
 */
async function withControl<T>(opts: TargetOptions, fn: (control: SendingControl) => Promise<T>): Promise<T> {
  if (opts.target !== 'local' && opts.target !== 'aws') {
    throw new Error(`--target must be local or aws, got "${opts.target}"`);
  }
  if (opts.target === 'aws') {
    const table = opts.table ?? process.env.RETENTION_CONFIG_TABLE;
    if (!table)
      throw new Error("--target aws needs --table NAME (the stack's config table) or RETENTION_CONFIG_TABLE");
    const tables = { customers: '', orders: '', config: table, ledger: '', suppression: '' };
    return fn(new SendingControl(documentClient(), tables));
  }
  const session = await openLocalSession();
  try {
    return await fn(new SendingControl(documentClient(), session.tables));
  } finally {
    await session.close();
  }
}

export function describeSwitch(s: SendingSwitch): string {
  if (s.state === 'paused') {
    return `sending: PAUSED since ${s.at ?? '?'} by ${s.setBy ?? '?'}\nreason: ${s.reason ?? ''}\n`;
  }
  return `sending: active${s.at ? ` (last changed ${s.at} by ${s.setBy ?? '?'}: ${s.reason ?? ''})` : ''}\n`;
}

const who = () => {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
};

export function registerSendingCommands(program: Command): void {
  const sending = program
    .command('sending')
    .description('The kill switch: see, pause or resume all sending (the guardrail sets it too)');
  const target = (c: Command) =>
    c
      .option('--target <target>', 'local (the local database) or aws (the deployed config table)', 'local')
      .option('--table <name>', 'config table for --target aws (default: $RETENTION_CONFIG_TABLE)');
  target(sending.command('status').description('Show whether sending is paused, by whom and why')).action(
    async (opts: TargetOptions) => {
      const s = await withControl(opts, (c) => c.get());
      process.stdout.write(describeSwitch(s));
    },
  );
  target(
    sending
      .command('pause')
      .description('Pause all sending: every send segment stops before its next group, entries stay queued')
      .requiredOption('--reason <text>', 'why (shown in status, the run summary and the logs)'),
  ).action(async (opts: TargetOptions & { reason: string }) => {
    if (opts.reason.trim() === '') throw new Error('--reason must not be empty');
    const set = await withControl(opts, (c) => c.pause(opts.reason, who(), new Date()));
    process.stdout.write(
      set ? 'sending paused\n' : 'sending was already paused (the first reason is kept)\n',
    );
  });
  target(
    sending
      .command('resume')
      .description(
        'Let sending go on; re-run a paused night (retention run --date D) to send what stayed queued',
      ),
  ).action(async (opts: TargetOptions) => {
    const done = await withControl(opts, (c) => c.resume(who(), new Date()));
    process.stdout.write(done ? 'sending resumed\n' : 'sending was not paused\n');
  });
}
