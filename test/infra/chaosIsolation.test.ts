import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { HandlerFunction, handlerEntry, PROJECT_ROOT } from '../../infra/constructs/handlerFunction.js';
import { testStack } from '../support/testStack.js';

// The fault-injection layer (cli/chaos/) must never be able to run in a deployed stack: no Lambda
// bundle contains it, no deployed environment variable can switch it on, and it reads none itself.

const stack = testStack('ChaosIsolation');
const handlers = [
  ...new Set(stack.node.findAll().flatMap((c) => (c instanceof HandlerFunction ? [c.handlerName] : []))),
];

describe('fault injection stays out of the deployed stack', () => {
  it('finds the deployed handlers', () => {
    expect(handlers).toEqual(
      expect.arrayContaining(['scoreSegment', 'sendSegment', 'sesEvents', 'prepareRun']),
    );
  });

  it.each(handlers)('the %s bundle imports nothing from cli/ or test/', async (name) => {
    // The same entry CDK bundles; dependencies external: only the project's own files matter here.
    const result = await build({
      entryPoints: [handlerEntry(name)],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
    });
    const inputs = Object.keys(result.metafile.inputs).map((p) =>
      relative(PROJECT_ROOT, join(PROJECT_ROOT, p)),
    );
    expect(inputs.length).toBeGreaterThan(3);
    expect(inputs.filter((p) => p.startsWith('cli/') || p.startsWith('test/'))).toEqual([]);
    const text = result.outputFiles.map((f) => f.text).join('\n');
    expect(text).not.toMatch(/FaultInjector|chaosSes|chaosDynamo/);
  });

  it('no deployed Lambda environment names or enables a fault', () => {
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    expect(Object.keys(functions).length).toBeGreaterThan(3);
    for (const fn of Object.values(functions)) {
      const vars = ((fn as { Properties: { Environment?: { Variables?: Record<string, unknown> } } })
        .Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      for (const [k, v] of Object.entries(vars)) {
        expect(`${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).not.toMatch(/chaos|fault/i);
      }
    }
  });

  it('the fault layer reads no environment variable (only a caller holding the local clients switches it on)', () => {
    const dir = join(PROJECT_ROOT, 'cli', 'chaos');
    const sources = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(sources).toContain('faults.ts');
    for (const file of sources) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/process\.env/);
  });
});
