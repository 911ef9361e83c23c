import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reportWindow } from '../../cli/commands/report.js';

const home = mkdtempSync(join(tmpdir(), 'retention-report-cli-'));
const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'report', ...args], {
    encoding: 'utf8',
    env: { ...process.env, RETENTION_HOME: home },
  });

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('retention report (spawned CLI)', () => {
  it('prints exactly one Report object with --json and writes the page with --html', () => {
    const page = join(home, 'report.html');
    const r = run('--from', '2026-11-01', '--to', '2026-11-03', '--json', '--html', page);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!);
    expect(report.window).toEqual({ from: '2026-11-01', to: '2026-11-03', attributionDays: 14 });
    expect(report.campaigns).toEqual([]);
    // No night, no customers: nothing can be concluded, and the report says so.
    expect(report.program.verdict).toBe('insufficient_data');
    expect(report.program.treatment.customers).toBe(0);
    expect(Object.keys(report)).toEqual(
      expect.arrayContaining(['window', 'campaigns', 'program', 'goal', 'stageFlow', 'model']),
    );
    expect(existsSync(page)).toBe(true);
    expect(readFileSync(page, 'utf8')).toMatch(/^<!doctype html>/);
  }, 60_000);

  it('refuses a bad date or a bad goal file, naming the option or the file and line', () => {
    const bad = run('--from', '2026-13-01');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--from: "2026-13-01" is not a date');
    const goals = join(home, 'goals.yaml');
    writeFileSync(goals, 'name: x\nmetric: { kind: attrition_rate, days: nope }\n');
    const badGoal = run('--goals', goals, '--to', '2026-11-03');
    expect(badGoal.status).toBe(1);
    expect(badGoal.stderr).toMatch(/goals\.yaml:2:\d+/);
  }, 60_000);

  it('covers the 30 nights up to --to by default, and refuses --from after --to', () => {
    expect(reportWindow({ to: '2026-11-30' })).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(reportWindow({ today: '2026-12-03' })).toEqual({ from: '2026-11-04', to: '2026-12-03' });
    expect(() => reportWindow({ from: '2026-12-02', to: '2026-12-01' })).toThrow(
      '--from 2026-12-02 is after --to 2026-12-01',
    );
  });
});
