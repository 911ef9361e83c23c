import {
  type AudienceSubject,
  type Campaign,
  type CompiledCampaign,
  compileCampaign,
  validateCampaignSource,
} from '../../../../functions/domain/campaigns/index.js';
import type { CustomerScores } from '../../../../functions/domain/types.js';

export function scores(overrides: Partial<CustomerScores> = {}): CustomerScores {
  return {
    summary: { frequency: 3, recency: 100, T: 200, monetaryValue: 50 },
    pAlive: 0.8,
    expectedPurchases: 2,
    expectedAvgValue: 55,
    clv: 300,
    clvTier: 'high',
    rfm: { r: 4, f: 3, m: 5, group: 'Loyal' },
    lifeStage: 'active',
    ...overrides,
  };
}

export function subject(overrides: Partial<AudienceSubject> = {}): AudienceSubject {
  return {
    profile: {
      customerId: 'c-1',
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      country: 'DE',
      language: 'de-DE',
      timeZone: 'Europe/Berlin',
      birthDate: '1990-06-15',
      signupDate: '2024-01-10',
      consent: { email: true, topics: { offers: true, birthday: true } },
      attributes: { tier: 'gold', visits: 12, newsletter: true },
    },
    aggregates: {
      orderCount: 4,
      purchaseDays: 3,
      totalSpent: 420,
      firstDaySpent: 100,
      firstOrderDate: '2024-02-01',
      lastOrderDate: '2025-03-01',
      currency: 'EUR',
    },
    scores: scores(),
    previousLifeStage: 'active',
    signals: [],
    runDate: '2025-06-01',
    ...overrides,
  };
}

/** A minimal valid campaign file as YAML, with the given segment blocks (already indented by 2). */
export function campaignYaml(fields: Record<string, string> = {}, segments?: string): string {
  const base: Record<string, string> = {
    id: 'test-campaign',
    name: 'Test campaign',
    owner: 'crm@example.com',
    status: 'active',
    priority: '10',
    holdoutPercent: '0',
    frequencyCapDays: '30',
    ...fields,
  };
  const lines = Object.entries(base).map(([k, v]) => `${k}: ${v}`);
  return `${lines.join('\n')}
schedule:
  start: 2025-01-01
segments:
${
  segments ??
  `  - id: everyone
    audience: { all: [] }
    offer:
      subject: Hello {{ customer.firstName }}
      html: <p>Hello {{ customer.firstName }}</p>
      text: Hello {{ customer.firstName }}
`
}`;
}

export function mustValidate(text: string, fileName = 'test.yaml'): Campaign {
  const result = validateCampaignSource(text, fileName, {});
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n'));
  return result.campaign;
}

export function compiled(text: string): CompiledCampaign {
  return compileCampaign(mustValidate(text));
}
