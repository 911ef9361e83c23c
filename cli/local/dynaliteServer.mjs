// The embedded DynamoDB (dynalite) in its own process, so it has a core of its own while the
// handlers, the SDK clients and the SES emulator run in the CLI's process. Started by
// cli/local/services.ts; prints `LISTENING <port>` once bound to 127.0.0.1, and exits when its
// parent closes stdin (so it never outlives the CLI).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const dynalite = require('dynalite');
const path = process.argv[2] || undefined;
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) });
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
