import { join, resolve } from 'node:path';

/** Local state lives under one gitignored folder (override with RETENTION_HOME, e.g. in tests). */
export function retentionHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.RETENTION_HOME ?? join(process.cwd(), '.retention'));
}

export function localPaths(home: string) {
  return {
    home,
    dynamodb: join(home, 'dynamodb'),
    outbox: join(home, 'outbox'),
    keys: join(home, 'unsubscribe-keys.json'),
    previews: join(home, 'previews'),
  };
}
