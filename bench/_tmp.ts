import '../cli/localDefaults.js';
import { benchLoad } from './load.js';

await benchLoad([Number(process.argv[2] ?? 20000)]);
