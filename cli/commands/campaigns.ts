// `retention campaigns ...`: validate campaign files and print the JSON Schema.
// preview / push / list / show / pause / resume / diff need the local database and are wired elsewhere.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import {
  type CampaignError,
  campaignJsonSchema,
  formatCampaignError,
  type ValidationResult,
  validateCampaignSource,
} from '../../functions/domain/campaigns/index.js';

/** Validates one campaign file from disk; template files are read relative to it. */
export function validateCampaignFile(file: string, now?: string): ValidationResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(error);
    const e: CampaignError = {
      file,
      line: 1,
      column: 1,
      path: '',
      message: `cannot read the campaign file: ${reason}`,
    };
    return { ok: false, errors: [e] };
  }
  const dir = path.dirname(file);
  return validateCampaignSource(text, file, {
    ...(now === undefined ? {} : { now }),
    readTemplateFile: (relative) => {
      const full = path.resolve(dir, relative);
      if (!existsSync(full) || !statSync(full).isFile()) return undefined;
      return readFileSync(full, 'utf8');
    },
  });
}

export function registerCampaignCommands(program: Command): void {
  const campaigns = program.command('campaigns').description('campaign files: validate, schema');

  campaigns
    .command('validate')
    .description('validate campaign files (YAML or JSON); exit 1 when any is invalid')
    .argument('<files...>', 'campaign files')
    .option('--now <date>', 'today (YYYY-MM-DD) for calendar checks; defaults to the current UTC date')
    .action((files: string[], opts: { now?: string }) => {
      const now = opts.now ?? new Date().toISOString().slice(0, 10);
      let failed = false;
      for (const file of files) {
        const result = validateCampaignFile(file, now);
        if (result.ok) {
          const n = result.campaign.segments.length;
          process.stdout.write(`${file}: ok (${n} segment${n === 1 ? '' : 's'})\n`);
        } else {
          failed = true;
          for (const e of result.errors) process.stderr.write(`${formatCampaignError(e)}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });

  campaigns
    .command('schema')
    .description('print the JSON Schema of a campaign file')
    .action(() => {
      process.stdout.write(`${JSON.stringify(campaignJsonSchema(), null, 2)}\n`);
    });
}
