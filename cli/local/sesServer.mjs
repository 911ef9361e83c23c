// The SES v2 emulator (aws-ses-v2-local) in its own process. The emulator keeps every email it
// accepts in memory for as long as it runs (that is its mailbox: the outbox and the tests read it
// over HTTP), so in the CLI's process that mailbox would be counted as the pipeline's memory and
// would compete with the handlers for their core. Started by cli/local/services.ts; binds
// 127.0.0.1 only, prints `LISTENING <port>` and exits when its parent closes stdin (so it never
// outlives the CLI). GetAccount answers from AWS_SES_ACCOUNT in this process's environment.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const emulator = require('aws-ses-v2-local');
// CommonJS with `exports.default`.
const start = typeof emulator.default === 'function' ? emulator.default : emulator;
if (typeof start !== 'function') {
  process.stderr.write('aws-ses-v2-local: no start function found\n');
  process.exit(1);
}

const server = await start({ host: '127.0.0.1', port: 0 });
process.stdout.write(`LISTENING ${server.address().port}\n`);
const stop = () => {
  server.closeAllConnections?.();
  server.close(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
