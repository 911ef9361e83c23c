import { describe, expect, it } from 'vitest';
import { parseDeployConfig } from '../../../infra/config/deployConfig.js';
import { stageConfig } from '../../../infra/config/stages.js';
import { TEST_STAGE } from '../../support/testStack.js';

const fails = (raw: unknown) => () => parseDeployConfig(raw, 'infra/config/x.ts');

describe('deploy configuration', () => {
  it('accepts a complete stage and fills the defaults', () => {
    const c = parseDeployConfig(TEST_STAGE, 'x');
    expect(c.sender.mailFromSubdomain).toBe('mail');
    expect(c.caps.globalCapDays).toBe(7);
    expect(c.retention.logDays).toBe(30);
  });

  it('names a missing setting with the file', () => {
    const { alarmEmail: _, ...raw } = TEST_STAGE;
    expect(fails(raw)).toThrow(/infra\/config\/x\.ts: alarmEmail: /);
  });

  it('names a wrong value and says why', () => {
    expect(fails({ ...TEST_STAGE, maxSendRate: Number.NaN })).toThrow(/maxSendRate/);
    expect(fails({ ...TEST_STAGE, schedule: { hour: 2, timeZone: 'Mars/Base' } })).toThrow(
      /schedule\.timeZone: must be an IANA time zone/,
    );
    expect(fails({ ...TEST_STAGE, account: '123' })).toThrow(/account: must be the 12-digit/);
    expect(fails({ ...TEST_STAGE, sender: { ...TEST_STAGE.sender, email: 'a@other.eu' } })).toThrow(
      /sender\.email: must be an address at sender\.domain/,
    );
    expect(fails({ ...TEST_STAGE, unknownSetting: 1 })).toThrow(/unknownSetting/);
  });

  it('never deploys the example domain: deploy stages refuse it, local stages are pinned to 000000000000', () => {
    expect(
      fails({
        ...TEST_STAGE,
        sender: { domain: 'shop.example.com', email: 'a@shop.example.com', name: 'S' },
      }),
    ).toThrow(/sender\.domain: shop\.example\.com is an example domain/);
    expect(fails({ ...TEST_STAGE, kind: 'local' })).toThrow(/account: a local stage is pinned/);
    expect(() => stageConfig('production')).toThrow(
      /infra\/config\/production\.ts: account: .*\n.*sender\.domain/,
    );
    expect(() => stageConfig('staging')).toThrow(/sender\.domain/);
    expect(stageConfig('dev').account).toBe('000000000000');
    expect(() => stageConfig('prod')).toThrow(/Unknown stage "prod".*dev, staging, production/);
  });
});
