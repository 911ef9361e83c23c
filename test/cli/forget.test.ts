import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The `retention forget` and `retention prune` commands as a user runs them, on a local folder.

const home = mkdtempSync(join(tmpdir(), 'retention-forget-cli-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: process.cwd(),
    env: { ...process.env, RETENTION_HOME: home },
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('retention forget', () => {
  it('forgets a customer once, says so the second time, and refuses an unknown id with exit 1', () => {
    expect(cli('seed', '--customers', '20', '--as-of', '2026-11-20').status).toBe(0);
    const first = cli('forget', 'C0000003');
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /^forgot customer C0000003: deleted orders \d+, attribution 0, ledger 0, parked-events 0, suppression-address 0, customers 1;/,
    );
    const again = cli('forget', 'C0000003', '--json');
    expect(again.status).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'already_forgotten', customerId: 'C0000003' });
    const unknown = cli('forget', 'C9999999');
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toContain(
      'forget: no customer C9999999 (no profile and nothing stored under that id); nothing was changed',
    );
  }, 120_000);

  it('retention prune deletes the expired local items', () => {
    const today = cli('prune', '--as-of', '2026-11-19', '--json');
    expect(today.status, today.stderr).toBe(0);
    expect(JSON.parse(today.stdout).deleted).toEqual({ orders: 0, config: 0, ledger: 0 });
    const later = cli('prune', '--as-of', '2036-11-20');
    expect(later.status, later.stderr).toBe(0);
    expect(later.stdout).toMatch(
      /^pruned as of 2036-11-20T00:00:00.000Z: orders [1-9]\d*, config 0, ledger 0 expired items deleted/,
    );
  }, 120_000);

  it('--target aws names the settings it needs', () => {
    const out = cli('forget', 'C1', '--target', 'aws');
    expect(out.status).toBe(1);
    expect(out.stderr).toContain("forget --target aws needs the deployment's table names and ERASURE_SALT");
    expect(out.stderr).toContain('CUSTOMERS_TABLE');
  }, 60_000);
});
