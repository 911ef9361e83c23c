// `npm run bench`: every benchmark of the project, printing figures (not pass/fail tests).
import { benchPipeline } from './pipeline.js';
import { benchScoring } from './scoring.js';

const only = process.argv[2];
if (!only || only === 'scoring') await benchScoring();
if (!only || only === 'pipeline') await benchPipeline();
