// `npm run bench`: every benchmark of the project, printing figures (not pass/fail tests).
// `npm run bench -- --customers 1000000` (or `npm run bench -- load`): the load bench instead
// (bench/load.ts), a night at 100,000 and then at the given size, in the same run.
import '../cli/localDefaults.js';
import { parseArgs } from 'node:util';
import { benchLoad } from './load.js';
import { benchLocalRuntime } from './localRuntime.js';
import { benchMeasurement } from './measurement.js';
import { benchPipeline } from './pipeline.js';
import { benchReport } from './report.js';
import { benchScoring } from './scoring.js';
import { benchSending } from './sending.js';

const { values, positionals } = parseArgs({
  options: { customers: { type: 'string' } },
  allowPositionals: true,
});
const only = positionals[0];
if (values.customers !== undefined || only === 'load') {
  const n = Number(values.customers ?? 100_000);
  if (!Number.isInteger(n) || n <= 0)
    throw new Error(`--customers: expected a positive whole number, got "${values.customers}"`);
  await benchLoad(n > 100_000 ? [100_000, n] : [n]);
} else {
  if (!only || only === 'scoring') await benchScoring();
  if (!only || only === 'pipeline') await benchPipeline();
  if (!only || only === 'sending') await benchSending();
  if (!only || only === 'measurement') await benchMeasurement();
  if (!only || only === 'report') await benchReport();
  if (!only || only === 'local-runtime') await benchLocalRuntime();
}
