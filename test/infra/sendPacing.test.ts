import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { testStack } from '../support/testStack.js';

type Res = { Properties: Record<string, unknown> };
let template: Template;
let stack: ReturnType<typeof testStack>;

beforeAll(() => {
  // More segments than the Map's cap: the concurrency (40) is not the segment count (64).
  stack = testStack('Pacing', { totalSegments: 64 });
  template = Template.fromStack(stack);
});

/** The state machine's definition as text (CloudFormation join of strings and tokens). */
function definitionText(): string {
  const [sm] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as Res[];
  if (!sm) throw new Error('no state machine in the template');
  const join = (sm.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return join[1].map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
}

describe('send pacing in the stack', () => {
  it('gives the send Lambda the send Map MaxConcurrency as SEND_CONCURRENCY', () => {
    const states = JSON.parse(definitionText()).States as Record<string, { MaxConcurrency?: number }>;
    const mapConcurrency = states.SendSegments?.MaxConcurrency;
    expect(mapConcurrency).toBe(40);
    const fnLogicalId = stack.getLogicalId(stack.nightly.functions.sendSegment.node.defaultChild as never);
    const fn = template.findResources('AWS::Lambda::Function')[fnLogicalId] as Res;
    const env = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
    expect(env.SEND_CONCURRENCY).toBe(String(mapConcurrency));
    expect(env.MAX_SEND_RATE).toBe('14');
  });
});
