// The embedded DynamoDB (dynalite) in its own process, so it has a core of its own while the
// handlers and the SDK clients run in the CLI's process (the SES emulator has its own too, see
// sesServer.mjs). Started by cli/local/services.ts and cli/local/sharedDatabase.ts; binds
// 127.0.0.1 only.
//
// Two modes, chosen by the JSON argument:
// - private ({ "mode": "private", "path"?: ... }): one CLI process owns it; it prints
//   `LISTENING <port>` and exits when that parent closes stdin (so it never outlives the CLI).
// - shared ({ "mode": "shared", "path", "record", "startedBy" }): the database of a `.retention/`
//   folder that several CLI processes use at once (`retention serve` and `retention run`, two runs).
//   Every client holds a lease: an open TCP connection to the lease port. The server lives exactly
//   as long as leases exist (a client that dies closes its connection with it, so a crash cannot
//   leave a count behind) and then closes LevelDB cleanly and exits. It writes where it listens to
//   the `record` file (atomically, once it can serve) and removes it before it stops.
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';

const require = createRequire(import.meta.url);
const dynaliteEntry = require.resolve('dynalite');
const dynalite = require(dynaliteEntry);
const options = parseOptions(process.argv[2]);

// A lease connection that never says hello is not a client (a port probe, a stray connection).
const HELLO_TIMEOUT_MS = 5_000;
// A server nobody connects to (its starter died before leasing) must not linger.
const FIRST_LEASE_TIMEOUT_MS = 30_000;
// LevelDB's own lock may still be held for a moment by a server that is closing: wait for it
// (the client says how long it is prepared to wait).
const LEVEL_LOCK_WAIT_MS = Number(options.levelWaitMs ?? 15_000);

if (options.mode === 'shared') await runShared(options);
else runPrivate(options);

function parseOptions(arg) {
  if (!arg) return { mode: 'private' };
  if (!arg.startsWith('{')) return { mode: 'private', path: arg };
  return JSON.parse(arg);
}

function dynaliteOptions(path) {
  return { createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) };
}

function runPrivate({ path }) {
  const server = dynalite(dynaliteOptions(path));
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`LISTENING ${server.address().port}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
}

async function runShared({ path, record, startedBy }) {
  const token = randomBytes(8).toString('hex');
  const fail = (code, message) => {
    process.stdout.write(`FAILED ${code} ${message}\n`);
    removeRecordIfOurs(record, token);
    process.exit(1);
  };
  process.on('uncaughtException', (error) => {
    process.stderr.write(
      `${new Date().toISOString()} dynalite server ${process.pid}: ${error?.stack ?? error}\n`,
    );
    fail('CRASHED', String(error?.message ?? error));
  });

  try {
    await waitForLevelDb(path);
  } catch (error) {
    if (error.code === 'LEVEL_LOCKED') fail('LEVEL_LOCKED', error.message);
    fail('LEVEL_OPEN', error.message);
  }

  const db = dynalite(dynaliteOptions(path));
  await new Promise((resolve) => db.listen(0, '127.0.0.1', resolve));
  const port = db.address().port;

  const clients = new Map();
  let closing = false;
  let closed;
  let firstLease;
  const leases = createServer((socket) => {
    if (closing) return socket.destroy();
    let buffered = '';
    let client;
    const hello = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffered += chunk;
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
        if (line.startsWith('HELLO ') && !client) {
          clearTimeout(hello);
          if (closing) return socket.destroy();
          client = { socket, ...safeJson(line.slice(6)), since: new Date().toISOString() };
          clients.set(socket, client);
          clearTimeout(firstLease);
          socket.write(`OK ${port}\n`);
        } else if (line === 'BYE' && client) {
          release(socket, true);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(hello);
      release(socket, false);
    });
  });
  await new Promise((resolve) => leases.listen(0, '127.0.0.1', resolve));
  const leasePort = leases.address().port;

  const release = (socket, polite) => {
    if (!clients.delete(socket)) return;
    if (clients.size > 0) {
      if (polite) socket.end('RELEASED\n');
      return;
    }
    // The last client: stop taking leases, forget the record, close LevelDB, and only then end
    // the releasing client's connection, so that a CLI which closes and reopens the same folder
    // finds the database closed, never half-closed.
    void shutdown().then(() => {
      if (polite && !socket.destroyed) socket.end('CLOSED\n');
      setTimeout(() => process.exit(0), 50).unref();
    });
  };

  const shutdown = () => {
    if (closed) return closed;
    closing = true;
    leases.close();
    removeRecordIfOurs(record, token);
    closed = new Promise((resolve) => {
      db.closeAllConnections?.();
      db.close(() => resolve());
    });
    return closed;
  };

  firstLease = setTimeout(() => {
    if (clients.size === 0) void shutdown().then(() => process.exit(0));
  }, FIRST_LEASE_TIMEOUT_MS);
  process.on('SIGTERM', () => void shutdown().then(() => process.exit(0)));
  process.on('SIGINT', () => undefined);

  // Written last and atomically: a record on disk always names a server that answers.
  const entry = {
    pid: process.pid,
    port,
    leasePort,
    path,
    token,
    startedAt: new Date().toISOString(),
    startedBy,
  };
  const tmp = `${record}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(entry, null, 2)}\n`);
  renameSync(tmp, record);
  process.stdout.write(`LISTENING ${port} ${leasePort}\n`);
}

async function waitForLevelDb(path) {
  const { Level } = createRequire(dynaliteEntry)('level');
  const deadline = Date.now() + LEVEL_LOCK_WAIT_MS;
  for (;;) {
    const probe = new Level(path, { valueEncoding: 'json' });
    try {
      await probe.open();
      await probe.close();
      return;
    } catch (error) {
      const code = error?.cause?.code ?? error?.code;
      if (code !== 'LEVEL_LOCKED' || Date.now() > deadline) {
        const out = new Error(error?.cause?.message ?? error?.message ?? String(error));
        out.code = code;
        throw out;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function removeRecordIfOurs(record, token) {
  try {
    const current = JSON.parse(readFileSync(record, 'utf8'));
    if (current.token === token) rmSync(record, { force: true });
  } catch {
    // No record, or not readable: nothing of ours to remove.
  }
}

function safeJson(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}
