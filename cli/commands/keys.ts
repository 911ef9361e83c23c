import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadRotationConfig } from '../../functions/config.js';
import { parseRotatingKeyRing } from '../../functions/domain/delivery/keyRotation.js';
import { todayUtc } from '../../functions/domain/night/dates.js';
import { describeKeyRing, rotateLocalKeyFile } from '../local/keys.js';
import { localPaths, retentionHome } from '../local/paths.js';

/** `retention keys list | rotate`: the local unsubscribe key ring (docs/operations.md, "Unsubscribe key rotation"). */
export function registerKeyCommands(program: Command): void {
  const keys = program
    .command('keys')
    .description('the local unsubscribe key ring (.retention/unsubscribe-keys.json)');
  keys
    .command('list')
    .description('key ids and whether each signs, waits to sign or only verifies (no secrets)')
    .action(() => {
      const file = localPaths(retentionHome()).keys;
      if (!existsSync(file))
        throw new Error(
          `${file}: no local key ring yet (\`retention run\` or \`retention serve\` creates it)`,
        );
      const ring = parseRotatingKeyRing(readFileSync(file, 'utf8'), file);
      for (const k of describeKeyRing(ring)) process.stdout.write(`${k.id}\t${k.state}\n`);
    });
  keys
    .command('rotate')
    .description('one scheduled rotation, as the Secrets Manager rotation function does it on AWS')
    .action(async () => {
      const file = localPaths(retentionHome()).keys;
      const config = loadRotationConfig(process.env);
      const keepDays = Math.max(config.PREFERENCE_LINK_MAX_AGE_DAYS, config.UNSUBSCRIBE_LINK_LIFETIME_DAYS);
      const { before, after } = await rotateLocalKeyFile(file, { today: todayUtc(new Date()), keepDays });
      const dropped = Object.keys(before.keys).filter((id) => !(id in after.keys));
      process.stdout.write(
        `${file}: ${after.activeKeyId} signs${after.activeKeyId !== before.activeKeyId ? ` (was ${before.activeKeyId})` : ''}, ${after.next} published${dropped.length > 0 ? `, dropped ${dropped.join(', ')}` : ''}; links stay valid ${keepDays} days after their key stops signing\n`,
      );
    });
}
