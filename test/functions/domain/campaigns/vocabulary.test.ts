import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIELDS, SIGNAL_TYPES } from '../../../../functions/domain/campaigns/index.js';
import { templateVariablePaths } from '../../../../functions/domain/campaigns/templates.js';

describe('docs/campaigns.md documents the vocabulary', () => {
  const doc = readFileSync('docs/campaigns.md', 'utf8');
  it('lists every field, signal and template variable', () => {
    const missing = [
      ...FIELDS.map((f) => `\`${f.name}\``),
      ...SIGNAL_TYPES.map((t) => `\`signal.${t}\``),
      ...templateVariablePaths().map((p) => `\`${p}\``),
    ].filter((name) => !doc.includes(name));
    expect(missing).toEqual([]);
  });
});
