// The program goal file (goals.yaml): validated like campaign files, every problem at file:line:column.
import { z } from 'zod';
import { isIsoDate } from '../campaigns/dates.js';
import { parseSource } from '../campaigns/positions.js';
import { describeValue, type PathSegment } from '../campaigns/rules.js';
import { type CampaignError, pathToString } from '../campaigns/validate.js';
import { daysBetween } from '../night/dates.js';
import type { IsoDate } from '../types.js';
import { MAX_ATTRITION_DAYS } from './attrition.js';

const isoDate = z.string().refine(isIsoDate, 'expected a date as YYYY-MM-DD');

/** A change as a fraction (-0.25) or a percentage string ("-25%"). */
const change = z.union(
  [
    z.number().gt(-1, 'a change must be above -100 %').lt(1, 'a change must be below +100 %'),
    z
      .string()
      .regex(/^[+-]?\d+(\.\d+)?\s*%$/, 'expected a fraction like -0.25 or a percentage like "-25%"')
      .transform((s) => Number(s.replace('%', '').trim()) / 100)
      .refine((v) => v > -1 && v < 1, 'a change must be between -100 % and +100 %'),
  ],
  { error: 'expected a fraction like -0.25 or a percentage like "-25%"' },
);

export const GoalFileSchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().min(1),
    metric: z
      .object({
        kind: z.literal('attrition_rate'),
        days: z
          .number()
          .int()
          .min(1)
          .max(
            MAX_ATTRITION_DAYS,
            `at most ${MAX_ATTRITION_DAYS} days (the nightly recency histogram keeps twice that)`,
          ),
      })
      .strict(),
    baseline: z.object({ from: isoDate, to: isoDate }).strict(),
    target: z.object({ change, by: isoDate }).strict(),
    /** `monthly` (the default): a milepost at each month end on a straight line to the target. */
    mileposts: z
      .union([z.literal('monthly'), z.array(z.object({ date: isoDate, change }).strict()).min(1)])
      .default('monthly'),
  })
  .strict();

export type GoalFile = z.output<typeof GoalFileSchema>;

export interface Goal {
  name: string;
  metric: { kind: 'attrition_rate'; days: number };
  baseline: { from: IsoDate; to: IsoDate };
  target: { change: number; by: IsoDate };
  mileposts: 'monthly' | { date: IsoDate; change: number }[];
}

export type GoalValidation = { ok: true; goal: Goal } | { ok: false; errors: CampaignError[] };

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v: unknown = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

/** Validates one goal file (YAML or JSON); reports all problems at once and changes nothing. */
export function validateGoalSource(text: string, fileName: string): GoalValidation {
  const src = parseSource(text);
  const errors: CampaignError[] = [];
  const add = (path: readonly PathSegment[], target: 'key' | 'value', message: string) => {
    const pos = src.locate(path, target);
    errors.push({ file: fileName, line: pos.line, column: pos.column, path: pathToString(path), message });
  };
  if (src.syntaxErrors.length > 0) {
    return {
      ok: false,
      errors: src.syntaxErrors.map((e) => ({
        file: fileName,
        line: e.line,
        column: e.column,
        path: '',
        message: `not valid YAML/JSON: ${e.message}`,
      })),
    };
  }
  const data = src.value;
  if (!isObject(data)) {
    add(
      [],
      'value',
      `expected a goal (a mapping with name, metric, baseline, target), found ${describeValue(data)}`,
    );
    return { ok: false, errors };
  }
  const parsed = GoalFileSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PathSegment[];
      const name = pathToString(path) || 'the goal';
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) add([...path, key], 'key', `unknown key "${key}" in ${name}`);
        continue;
      }
      const found = valueAt(data, path);
      add(
        path,
        'value',
        found === undefined
          ? `${name}: required field is missing (${issue.message})`
          : `${name}: ${issue.message}, found ${describeValue(found)}`,
      );
    }
    return { ok: false, errors };
  }
  const goal = parsed.data;
  if (goal.baseline.from > goal.baseline.to) {
    add(
      ['baseline', 'to'],
      'value',
      `baseline.to (${goal.baseline.to}) is before baseline.from (${goal.baseline.from})`,
    );
  }
  if (goal.target.by <= goal.baseline.to) {
    add(
      ['target', 'by'],
      'value',
      `target.by (${goal.target.by}) must be after the baseline ends (${goal.baseline.to})`,
    );
  }
  if (goal.target.change >= 0) {
    add(
      ['target', 'change'],
      'value',
      `target.change: an attrition goal is a reduction, so the change must be negative (e.g. -25%), found ${goal.target.change}`,
    );
  }
  if (Array.isArray(goal.mileposts)) {
    let previous = goal.baseline.to;
    goal.mileposts.forEach((m, i) => {
      if (m.date <= previous) {
        add(
          ['mileposts', i, 'date'],
          'value',
          `mileposts[${i}].date (${m.date}) must come after ${previous} (mileposts are in date order, after the baseline)`,
        );
      } else if (m.date > goal.target.by) {
        add(
          ['mileposts', i, 'date'],
          'value',
          `mileposts[${i}].date (${m.date}) is after target.by (${goal.target.by})`,
        );
      }
      if (m.date > previous) previous = m.date;
    });
  }
  if (daysBetween(goal.baseline.from, goal.baseline.to) > 366) {
    add(
      ['baseline'],
      'key',
      'baseline: a baseline period longer than a year mixes seasons; use at most 366 days',
    );
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    goal: {
      name: goal.name,
      metric: goal.metric,
      baseline: goal.baseline,
      target: goal.target,
      mileposts: goal.mileposts,
    },
  };
}
