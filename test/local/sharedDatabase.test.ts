import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalSession } from '../../cli/local/session.js';
import { isAlive, sharedDatabaseFiles } from '../../cli/local/sharedDatabase.js';
import { documentClient } from '../../functions/adapters/clients.js';

// Several real `retention` processes on one `.retention/` folder at once. Every child has a kill
// timeout and every wait a deadline, so a regression fails the test instead of hanging it.

const NIGHT = '2026-11-20';
const homes: string[] = [];
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

function newHome(name: string): string {
  const home = mkdtempSync(join(tmpdir(), `retention-shared-${name}-`));
  homes.push(home);
  return home;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(home: string, args: string[], extraEnv: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, RETENTION_HOME: home, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 150_000,
    killSignal: 'SIGKILL',
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const done = new Promise<Finished>((resolve) =>
    child.once('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, stderr: () => stderr };
}

const cli = (home: string, args: string[], env: Record<string, string> = {}) => start(home, args, env).done;

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function outboxRecipients(home: string): string[] {
  const dir = join(home, 'outbox', NIGHT);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => {
    const eml = readFileSync(join(dir, f), 'utf8');
    return (/^To: (.*)$/im.exec(eml)?.[1] ?? '').trim().toLowerCase();
  });
}

async function ledgerOf(home: string): Promise<{ sendKey: string; status: string; customerId: string }[]> {
  const session = await openLocalSession({ home });
  try {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await documentClient().send(
        new ScanCommand({ TableName: session.tables.ledger, ExclusiveStartKey: start }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items as { sendKey: string; status: string; customerId: string }[];
  } finally {
    await session.close();
  }
}

async function seeded(name: string): Promise<string> {
  const home = newHome(name);
  const out = await cli(home, ['seed', '--customers', '300', '--seed', '7', '--as-of', NIGHT]);
  expect(out.code, out.stderr).toBe(0);
  return home;
}

const summaryOf = (out: Finished) =>
  JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as { outbox: { written: number } };

describe('one .retention/ folder, several processes', () => {
  it('retention serve and retention run work at once, and the database stops with its last user', async () => {
    const home = await seeded('serve-run');
    const port = await freePort();
    const serve = start(home, ['serve', '--port', String(port)]);
    await until('serve to listen', () => serve.stderr().includes('unsubscribe endpoint'));
    const files = sharedDatabaseFiles(home);
    const record = JSON.parse(readFileSync(files.record, 'utf8')) as {
      pid: number;
      startedBy: { command: string };
    };
    expect(record.startedBy.command).toBe('retention serve');

    const run = await cli(home, ['run', '--date', NIGHT, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(summaryOf(run).outbox.written).toBeGreaterThan(0);

    // The run has ended; serve still has its database (same server) and still answers.
    expect(JSON.parse(readFileSync(files.record, 'utf8')).pid).toBe(record.pid);
    const page = await fetch(`http://127.0.0.1:${port}/u/not-a-token`);
    expect(page.status).toBeGreaterThanOrEqual(400);
    expect(page.status).toBeLessThan(500);

    serve.child.kill('SIGTERM');
    const served = await serve.done;
    expect(served.code, served.stderr).toBe(0);
    await until('the database server to stop', () => !isAlive(record.pid) && !existsSync(files.record));
  }, 180_000);

  it('two runs of the same night started together have one night’s effects', async () => {
    const single = await seeded('single');
    const once = await cli(single, ['run', '--date', NIGHT, '--json']);
    expect(once.code, once.stderr).toBe(0);

    const home = await seeded('twice');
    const [a, b] = await Promise.all([
      cli(home, ['run', '--date', NIGHT, '--json']),
      cli(home, ['run', '--date', NIGHT, '--json']),
    ]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    // (Whether the second waited for the first or found the night done depends on timing; the
    // waiting itself is tested in nightLock.test.ts. The effects must be one night's either way.)

    const recipients = outboxRecipients(home);
    expect(recipients.length).toBeGreaterThan(0);
    expect(new Set(recipients).size).toBe(recipients.length);
    expect(recipients.length).toBe(outboxRecipients(single).length);
    expect(summaryOf(a).outbox.written + summaryOf(b).outbox.written).toBe(recipients.length);

    const [ledgerTwice, ledgerOnce] = [await ledgerOf(home), await ledgerOf(single)];
    const byStatus = (entries: { status: string }[]) =>
      Object.fromEntries([...Map.groupBy(entries, (e) => e.status)].map(([s, l]) => [s, l.length]));
    expect(byStatus(ledgerTwice)).toEqual(byStatus(ledgerOnce));
    expect(ledgerTwice.length).toBe(ledgerOnce.length);
  }, 300_000);

  it('a stale record and lock left by dead processes are taken over', async () => {
    const home = await seeded('stale');
    const dead = spawn(process.execPath, ['-e', '']);
    const deadPid = await new Promise<number>((resolve) => dead.once('exit', () => resolve(dead.pid ?? 0)));
    const files = sharedDatabaseFiles(home);
    writeFileSync(
      files.record,
      JSON.stringify({
        pid: deadPid,
        port: await freePort(),
        leasePort: await freePort(),
        path: join(home, 'dynamodb'),
        token: 'stale',
        startedAt: '2026-01-01T00:00:00.000Z',
        startedBy: { pid: deadPid, command: 'retention serve' },
      }),
    );
    writeFileSync(
      files.lock,
      JSON.stringify({ pid: deadPid, command: 'retention run', at: '2026-01-01T00:00:00.000Z' }),
    );

    const out = await cli(home, ['campaigns', 'list']);
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(files.lock)).toBe(false);
    await until('the new server to stop', () => !existsSync(files.record));
  }, 120_000);

  // A process standing in for a wedged server, or for any other program holding the LevelDB
  // folder: alive, the database locked, and nothing answering on any port.
  function holdLevelDb(path: string) {
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const { createRequire } = require('node:module');
         const { Level } = createRequire(require.resolve('dynalite'))('level');
         new Level(process.argv[1]).open().then(() => console.log('HELD'));
         setTimeout(() => {}, 120000);`,
        path,
      ],
      { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.add(holder);
    let out = '';
    holder.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    return { holder, held: () => until('the LevelDB folder to be held', () => out.includes('HELD')) };
  }

  it('a live holder that does not answer is named, exit 1, never a hang', async () => {
    const home = await seeded('wedged');
    const { holder, held } = holdLevelDb(join(home, 'dynamodb'));
    await held();
    const files = sharedDatabaseFiles(home);
    writeFileSync(
      files.record,
      JSON.stringify({
        pid: holder.pid,
        port: await freePort(),
        leasePort: await freePort(),
        path: join(home, 'dynamodb'),
        token: 'wedged',
        startedAt: '2026-12-01T10:00:00.000Z',
        startedBy: { pid: holder.pid, command: 'retention serve' },
      }),
    );
    const out = await cli(home, ['campaigns', 'list'], { RETENTION_DB_WAIT_MS: '1500' });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(
      `the local database in ${home} is held by pid ${holder.pid} (started by retention serve, pid ${holder.pid}, at 2026-12-01T10:00:00.000Z) and does not answer`,
    );
    expect(existsSync(files.lock)).toBe(false);
    holder.kill('SIGKILL');
  }, 120_000);

  it('a folder locked by a program that does not share it: a clear error, exit 1', async () => {
    const home = await seeded('foreign');
    const { holder, held } = holdLevelDb(join(home, 'dynamodb'));
    await held();
    const out = await cli(home, ['campaigns', 'list'], { RETENTION_DB_WAIT_MS: '1500' });
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('is locked by a process that is not a retention database server');
    holder.kill('SIGKILL');
    // Once the holder is gone, the folder works again.
    await until('the holder to exit', () => holder.exitCode !== null || holder.signalCode !== null);
    const again = await cli(home, ['campaigns', 'list']);
    expect(again.code, again.stderr).toBe(0);
  }, 120_000);
});
