import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// One embedded DynamoDB per `.retention/` folder, shared by every CLI process that uses the folder
// at the same time (`retention serve` in one terminal, `retention run` in another, two runs).
// LevelDB admits one process, so the database lives in a server process of its own (see
// dynaliteServer.mjs): the first CLI process starts it, the others find it through a record file
// and connect; each holds a lease (an open TCP connection) and the server stops when the last
// lease ends. LevelDB's own lock is the guard against corruption: two servers can never open the
// folder at once. Every wait here has a deadline, so a misuse ends in an error, never in a hang.

/** Who started the database server: shown when the folder cannot be shared. */
export interface DatabaseHolder {
  pid: number;
  command: string;
}

/** What `.retention/dynamodb.json` says about the running server. */
export interface SharedDatabaseRecord {
  pid: number;
  port: number;
  leasePort: number;
  path: string;
  token: string;
  startedAt: string;
  startedBy: DatabaseHolder;
}

export interface SharedDatabase {
  port: number;
  record: SharedDatabaseRecord;
  /** True when this process started the server (the others connected to it). */
  started: boolean;
  /** Ends this process's lease; resolves once the server has closed the database if it was the last. */
  release(): Promise<void>;
}

export interface AttachOptions {
  home: string;
  /** The LevelDB folder. */
  path: string;
  /** How this process is shown to others, e.g. `retention serve`. */
  command: string;
  /** Give up (with an error naming the holder) after this long. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export class DatabaseHeldError extends Error {
  override name = 'DatabaseHeldError';
}

export function sharedDatabaseFiles(home: string) {
  return {
    record: join(home, 'dynamodb.json'),
    lock: join(home, 'dynamodb.lock'),
    log: join(home, 'dynamodb.log'),
  };
}

const LEASE_ANSWER_MS = 3_000;
const SERVER_START_MS = 20_000;
const RELEASE_MS = 35_000;

export async function attachSharedDatabase(options: AttachOptions): Promise<SharedDatabase> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const files = sharedDatabaseFiles(options.home);
  const me: DatabaseHolder = { pid: process.pid, command: options.command };
  const deadline = now() + (options.timeoutMs ?? 30_000);
  let lastSeen: { record?: SharedDatabaseRecord; starter?: LockHolder } = {};

  for (;;) {
    const record = readRecord(files.record);
    if (record) {
      lastSeen = { record };
      const lease = await takeLease(record, me);
      if (lease) return { port: record.port, record, started: false, release: lease.release };
      // A record whose server is gone (killed, machine rebooted) is stale; a live one that refuses
      // is closing (and a new server will take over) or wedged (and the deadline names it).
      if (!isAlive(record.pid)) removeIfUnchanged(files.record, record.token);
    }

    const lock = tryLock(files.lock, me);
    if (lock === 'taken') {
      try {
        const again = readRecord(files.record);
        if (again) {
          const lease = await takeLease(again, me);
          if (lease) return { port: again.port, record: again, started: false, release: lease.release };
        }
        let started: SharedDatabaseRecord;
        try {
          started = await startServer(options, files, me, Math.max(1_000, deadline - now()));
        } catch (error) {
          // LevelDB is locked, and a live process claims the folder but did not answer: name it.
          if (error instanceof DatabaseHeldError && lastSeen.record && isAlive(lastSeen.record.pid))
            throw heldError(options.home, lastSeen, files);
          throw error;
        }
        const lease = await takeLease(started, me);
        if (lease) return { port: started.port, record: started, started: true, release: lease.release };
      } finally {
        rmSync(files.lock, { force: true });
      }
    } else {
      lastSeen = { ...lastSeen, starter: lock };
      // The starter died between taking the lock and starting the server: the lock is stale.
      if (!isAlive(lock.pid)) removeLockIfUnchanged(files.lock, lock);
    }

    if (now() > deadline) throw heldError(options.home, lastSeen, files);
    await sleep(100);
  }
}

interface LockHolder extends DatabaseHolder {
  at: string;
}

function tryLock(file: string, me: DatabaseHolder): 'taken' | LockHolder {
  const content: LockHolder = { ...me, at: new Date().toISOString() };
  try {
    // `wx`: created only if absent, atomically; the one process that creates it starts the server.
    const fd = openSync(file, 'wx');
    writeFileSync(fd, `${JSON.stringify(content)}\n`);
    closeSync(fd);
    return 'taken';
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
  } catch {
    // Being written right now by its creator: treat it as held by someone alive.
    return { pid: process.pid, command: 'another retention process', at: new Date().toISOString() };
  }
}

function removeLockIfUnchanged(file: string, seen: LockHolder): void {
  try {
    const current = JSON.parse(readFileSync(file, 'utf8')) as LockHolder;
    if (current.pid === seen.pid && current.at === seen.at) rmSync(file, { force: true });
  } catch {
    // Gone already.
  }
}

function readRecord(file: string): SharedDatabaseRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<SharedDatabaseRecord>;
    if (
      typeof value.pid !== 'number' ||
      typeof value.port !== 'number' ||
      typeof value.leasePort !== 'number'
    )
      return undefined;
    return value as SharedDatabaseRecord;
  } catch {
    return undefined;
  }
}

function removeIfUnchanged(file: string, token: string): void {
  if (readRecord(file)?.token === token) rmSync(file, { force: true });
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Connects a lease to the server; undefined when it does not answer as the record says. */
async function takeLease(
  record: SharedDatabaseRecord,
  me: DatabaseHolder,
): Promise<{ release(): Promise<void> } | undefined> {
  const socket = await new Promise<Socket | undefined>((resolve) => {
    const s = connect({ host: '127.0.0.1', port: record.leasePort });
    let buffered = '';
    const timer = setTimeout(() => done(undefined), LEASE_ANSWER_MS);
    const done = (value: Socket | undefined) => {
      clearTimeout(timer);
      s.removeAllListeners('data');
      if (!value) s.destroy();
      resolve(value);
    };
    s.setEncoding('utf8');
    s.once('connect', () => s.write(`HELLO ${JSON.stringify(me)}\n`));
    s.on('data', (chunk: string) => {
      buffered += chunk;
      if (!buffered.includes('\n')) return;
      // The port check: a record left by a dead server whose port another program reuses.
      done(buffered.startsWith(`OK ${record.port}\n`) ? s : undefined);
    });
    s.once('error', () => done(undefined));
    s.once('close', () => done(undefined));
  });
  if (!socket) return undefined;
  // The lease must not keep the CLI alive; when the process ends, the kernel closes it.
  socket.unref();
  socket.on('error', () => undefined);
  let released: Promise<void> | undefined;
  return {
    release() {
      released ??= new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.ref();
        const timer = setTimeout(() => {
          socket.destroy();
          resolve();
        }, RELEASE_MS);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.write('BYE\n');
      });
      return released;
    },
  };
}

async function startServer(
  options: AttachOptions,
  files: ReturnType<typeof sharedDatabaseFiles>,
  me: DatabaseHolder,
  levelWaitMs: number,
): Promise<SharedDatabaseRecord> {
  const script = fileURLToPath(new URL('./dynaliteServer.mjs', import.meta.url));
  const log = openSync(files.log, 'a');
  const args = JSON.stringify({
    mode: 'shared',
    path: options.path,
    record: files.record,
    startedBy: me,
    levelWaitMs,
  });
  // Detached: a Ctrl-C in the terminal of the process that happened to start it must not take the
  // database away from the others; it stops when the last lease ends instead.
  const child = spawn(process.execPath, [script, args], { detached: true, stdio: ['ignore', 'pipe', log] });
  closeSync(log);
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(
        () => reject(new Error(`the local database server did not start within ${SERVER_START_MS / 1000} s`)),
        SERVER_START_MS,
      );
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (chunk: string) => {
        buffered += chunk;
        const newline = buffered.indexOf('\n');
        if (newline >= 0) {
          clearTimeout(timer);
          resolve(buffered.slice(0, newline));
        }
      });
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(
          new Error(`the local database server exited before listening (code ${code}); see ${files.log}`),
        );
      });
    });
    if (line.startsWith('FAILED LEVEL_LOCKED')) {
      throw new DatabaseHeldError(
        `the local database ${options.path} is locked by a process that is not a retention database server ` +
          `(another tool, or a retention version that does not share it); stop it and try again`,
      );
    }
    if (!line.startsWith('LISTENING ')) throw new Error(`the local database server failed: ${line}`);
    const record = readRecord(files.record);
    if (!record || record.pid !== child.pid)
      throw new Error(`the local database server wrote no record in ${files.record}`);
    return record;
  } finally {
    child.removeAllListeners('exit');
    child.stdout?.destroy();
    child.unref();
  }
}

function heldError(
  home: string,
  seen: { record?: SharedDatabaseRecord; starter?: LockHolder },
  files: ReturnType<typeof sharedDatabaseFiles>,
): DatabaseHeldError {
  if (seen.record) {
    const r = seen.record;
    return new DatabaseHeldError(
      `the local database in ${home} is held by pid ${r.pid} (started by ${r.startedBy.command}, pid ${r.startedBy.pid}, at ${r.startedAt}) and does not answer; ` +
        `stop that process, or delete ${files.record} if it is not a retention database server`,
    );
  }
  const s = seen.starter;
  return new DatabaseHeldError(
    `the local database in ${home} is being started by pid ${s?.pid ?? '?'} (${s?.command ?? 'unknown'}, since ${s?.at ?? '?'}) and did not come up; ` +
      `stop that process, or delete ${files.lock} if it is gone`,
  );
}
