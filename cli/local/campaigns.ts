import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { CampaignStore } from '../../functions/adapters/campaignStore.js';
import {
  compiledEmailsOf,
  filePathProblem,
  formatCampaignError,
  validateCampaign,
} from '../../functions/domain/campaigns/validate.js';

export interface LoadedCampaignFile {
  file: string;
  source: string;
  templates: Record<string, string>;
}

/** Reads a campaign file and every template file it can reference (relative paths under its folder). */
export async function readCampaignFile(file: string): Promise<LoadedCampaignFile> {
  const source = await readFile(file, 'utf8');
  const dir = dirname(resolve(file));
  const templates: Record<string, string> = {};
  for (const match of source.matchAll(
    /(?:htmlFile|textFile|mjmlFile|brand)\s*["']?\s*:\s*["']?([^"'\s,}]+)/g,
  )) {
    const rel = match[1];
    // A path validation refuses (absolute, or out of the campaign's folders) is never read.
    if (!rel || filePathProblem(rel)) continue;
    try {
      templates[rel] = await readFile(join(dir, rel), 'utf8');
    } catch {
      // Missing template files are reported by validation with the file position.
    }
  }
  return { file, source, templates };
}

export interface PushOutcome {
  file: string;
  ok: boolean;
  campaignId?: string;
  version?: number;
  changed?: boolean;
  errors?: string[];
}

/** Validates then stores each file as a new immutable version; invalid files change nothing. */
export async function pushCampaignFiles(
  store: CampaignStore,
  files: readonly string[],
  createdBy: string,
): Promise<PushOutcome[]> {
  const outcomes: PushOutcome[] = [];
  for (const file of files) {
    const loaded = await readCampaignFile(file);
    const result = await validateCampaign(loaded.source, file, {
      readTemplateFile: (p) => loaded.templates[p],
    });
    if (!result.ok) {
      outcomes.push({ file, ok: false, errors: result.errors.map(formatCampaignError) });
      continue;
    }
    const pushed = await store.push({
      campaignId: result.campaign.id,
      name: result.campaign.name,
      fileName: basename(file),
      source: loaded.source,
      templates: loaded.templates,
      compiled: compiledEmailsOf(result.campaign),
      createdBy,
      now: new Date(),
    });
    outcomes.push({
      file,
      ok: true,
      campaignId: result.campaign.id,
      version: pushed.version,
      changed: pushed.changed,
    });
  }
  return outcomes;
}

export async function exampleCampaignFiles(root: string): Promise<string[]> {
  const dir = join(root, 'examples', 'campaigns');
  const names = await readdir(dir);
  return names
    .filter((n) => /\.(ya?ml|json)$/.test(n))
    .sort()
    .map((n) => relative(process.cwd(), join(dir, n)) || join(dir, n));
}
