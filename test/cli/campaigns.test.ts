import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVALID_CAMPAIGN } from './invalidCampaign.js';

const run = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'campaigns', ...args], { encoding: 'utf8' });

describe('retention campaigns', () => {
  it('validate: exit 0 and "FILE: ok (N segments)" for the examples', () => {
    const files = readdirSync('examples/campaigns')
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => path.join('examples/campaigns', f));
    const r = run('validate', ...files);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('examples/campaigns/at-risk-save.yaml: ok (2 segments)');
    expect(r.stdout).toContain('examples/campaigns/birthday.yaml: ok (1 segment)');
  });

  it('validate: exit 1 with file:line:column errors on stderr', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'campaigns-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, INVALID_CAMPAIGN);
    const r = run('validate', 'examples/campaigns/welcome.yaml', bad);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('welcome.yaml: ok (2 segments)');
    expect(r.stderr.trim().split('\n')).toEqual([
      `${bad}:7:17: holdoutPercent: expected a holdout percentage from 0 to 50, found 80`,
      `${bad}:11:17: segments[0].audience: unknown field "clv12m" — did you mean "clv"?`,
    ]);
  });

  it('schema prints the JSON Schema', () => {
    const r = run('schema');
    expect(r.status).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.title).toBe('Retention campaign');
    expect(Object.keys(schema.properties)).toContain('segments');
  });
});
