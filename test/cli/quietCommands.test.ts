import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The README's commands as a newcomer types them: from a shell whose PATH has the system node
// (not node_modules/.bin, which `npm test` puts first), with an empty npm cache as on a fresh
// machine. None may print npm's EBADENGINE warnings; a package that really needs another Node
// must still be warned about.

const root = process.cwd();
const cache = mkdtempSync(join(tmpdir(), 'retention-npm-cache-'));
const systemPath = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => !dir.includes('node_modules'))
  .join(delimiter);
const env: NodeJS.ProcessEnv = {
  HOME: process.env.HOME,
  PATH: systemPath,
  npm_config_cache: cache,
  NPM_CONFIG_UPDATE_NOTIFIER: 'false',
  CDK_DISABLE_VERSION_CHECK: 'true',
};

function sh(command: string, args: string[]) {
  const out = spawnSync(command, args, { cwd: root, env, encoding: 'utf8', timeout: 90_000 });
  if (out.error) throw out.error;
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

const systemNode = spawnSync('node', ['--version'], { env, encoding: 'utf8' }).stdout.trim();
const systemMajor = Number(/^v(\d+)/.exec(systemNode)?.[1] ?? 0);

afterAll(() => rmSync(cache, { recursive: true, force: true }));

// On a machine whose system node already is 24 there is no engine mismatch to be quiet about.
describe.skipIf(systemMajor >= 24 || systemMajor === 0)(
  `README commands on the system node (${systemNode})`,
  () => {
    it.each([
      ['npx', ['retention', '--help'], /Usage: retention/],
      ['npx', ['retention', 'campaigns', '--help'], /Usage: retention campaigns/],
      ['npm', ['start', '--', '--help'], /Usage: retention run/],
      ['npm', ['run', 'retention', '--', '--help'], /Usage: retention/],
      ['npx', ['cdk', '--version'], /^2\./m],
    ] as const)(
      '%s %s prints no EBADENGINE warning',
      (command, args, expected) => {
        const out = sh(command, [...args]);
        expect(out.stderr).not.toMatch(/EBADENGINE/);
        expect(out.stdout).toMatch(expected);
        expect(out.status).toBe(0);
      },
      90_000,
    );

    it('a package that really needs another Node is still warned about', () => {
      const pkg = mkdtempSync(join(tmpdir(), 'retention-future-node-'));
      try {
        writeFileSync(
          join(pkg, 'package.json'),
          JSON.stringify({
            name: 'needs-future-node',
            version: '1.0.0',
            engines: { node: '>=99' },
            bin: { 'needs-future-node': 'cli.js' },
          }),
        );
        writeFileSync(join(pkg, 'cli.js'), '#!/usr/bin/env node\nconsole.log("ran");\n');
        chmodSync(join(pkg, 'cli.js'), 0o755);
        // From the project folder, so the project's .npmrc applies: it must not mute real warnings.
        const out = sh('npx', ['--yes', `--package=file:${pkg}`, 'needs-future-node']);
        expect(out.stderr).toMatch(/EBADENGINE[\s\S]*needs-future-node@1\.0\.0[\s\S]*>=99/);
        expect(out.stdout).toContain('ran');
      } finally {
        rmSync(pkg, { recursive: true, force: true });
      }
    }, 90_000);
  },
);
