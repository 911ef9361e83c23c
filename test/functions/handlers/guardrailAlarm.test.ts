import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalSession } from '../../../cli/local/session.js';
import { documentClient } from '../../../functions/adapters/clients.js';
import { SendingControl } from '../../../functions/adapters/sendingControl.js';
import { applyGuardrailAlarm } from '../../../functions/handlers/guardrailAlarm.js';
import { openTestSession } from '../../support/localWorld.js';

// The guardrail Lambda as SNS invokes it, on the embedded DynamoDB: a reputation alarm going into
// ALARM sets the kill switch once; other alarms and OK transitions change nothing.

let session: LocalSession;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ session, close } = await openTestSession('guardrail-alarm', {
    GUARDRAIL_ALARM_NAMES: 'Prod-BounceRateAlarm,Prod-ComplaintRateAlarm',
  }));
});
afterAll(async () => {
  await close?.();
});

const sns = (message: object | string) => ({
  Records: [{ Sns: { Message: typeof message === 'string' ? message : JSON.stringify(message) } }],
});
const alarm = (name: string, state = 'ALARM') => ({
  AlarmName: name,
  AlarmDescription: 'Guardrail: the SES bounce rate passed 4 %',
  NewStateValue: state,
  NewStateReason: 'Threshold Crossed: 1 datapoint [0.052] was greater than the threshold (0.04).',
});

describe('guardrail alarm handler', () => {
  it('pauses on a guardrail alarm, once, with the alarm as the reason', async () => {
    const control = new SendingControl(documentClient(), session.tables);
    expect(await applyGuardrailAlarm(sns(alarm('Prod-RunFailedAlarm')))).toEqual({
      matched: 0,
      paused: false,
    });
    expect(await applyGuardrailAlarm(sns(alarm('Prod-BounceRateAlarm', 'OK')))).toEqual({
      matched: 0,
      paused: false,
    });
    expect(await applyGuardrailAlarm(sns('not json'))).toEqual({ matched: 0, paused: false });
    expect((await control.get()).state).toBe('active');

    expect(await applyGuardrailAlarm(sns(alarm('Prod-BounceRateAlarm')))).toEqual({
      matched: 1,
      paused: true,
    });
    const s = await control.get();
    expect(s.state).toBe('paused');
    expect(s.setBy).toBe('guardrail:alarm:Prod-BounceRateAlarm');
    expect(s.reason).toMatch(/bounce rate passed 4 %.*0\.052/);
    // Redelivered, or the other alarm: the first reason stays.
    expect(await applyGuardrailAlarm(sns(alarm('Prod-ComplaintRateAlarm')))).toEqual({
      matched: 1,
      paused: false,
    });
    expect((await control.get()).setBy).toBe('guardrail:alarm:Prod-BounceRateAlarm');
  });

  it('refuses an input that is not an SNS event, saying why', async () => {
    await expect(applyGuardrailAlarm({ Records: [] })).rejects.toThrow(/not an SNS event: Records/);
  });
});
