#!/usr/bin/env node
// The `retention` command of this checkout. npm install links it into node_modules/.bin (through the
// local `retention-cli` dev dependency, bin/package.json), so `npx retention` finds it there and runs
// it at once: no copy of the project is installed into npx's cache, which is what printed npm's
// EBADENGINE warnings for this project on a system Node older than 24.
// It runs the TypeScript CLI through tsx, on the Node 24 that the `node` dev dependency pins
// whatever node started this launcher, so no build step is needed.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(realpathSync(fileURLToPath(import.meta.url))), '..');
const pinned = join(root, 'node_modules', 'node', 'bin', 'node');
const result = spawnSync(
  existsSync(pinned) ? pinned : process.execPath,
  ['--import', 'tsx', join(root, 'cli', 'main.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: process.cwd() },
);
if (result.error) {
  process.stderr.write(`retention: could not start node: ${result.error.message}\n`);
}
process.exit(result.status ?? 1);
