// `npm run bench`: every benchmark of the project, printing figures (not pass/fail tests).
import { benchMeasurement } from './measurement.js';
import { benchPipeline } from './pipeline.js';
import { benchReport } from './report.js';
import { benchScoring } from './scoring.js';
import { benchSending } from './sending.js';

const only = process.argv[2];
if (!only || only === 'scoring') await benchScoring();
if (!only || only === 'pipeline') await benchPipeline();
if (!only || only === 'sending') await benchSending();
if (!only || only === 'measurement') await benchMeasurement();
if (!only || only === 'report') await benchReport();
