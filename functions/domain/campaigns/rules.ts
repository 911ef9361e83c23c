// Audience rules: checking a rule as written (with precise, positioned problems), compiling it to a
// closure, and proving simple facts about rules (always true, implication) for reachability checks.
import { LIFE_STAGES, type Signal, type SignalType } from '../types.js';
import { epochDay, isIsoDate } from './dates.js';
import { didYouMean } from './suggest.js';
import {
  ALL_OPERATORS,
  type AudienceSubject,
  CLV_TIERS,
  conditionKeys,
  type FieldSpec,
  fieldSpec,
  type Operator,
  operatorsFor,
  SIGNAL_FILTERS,
  SIGNAL_PREFIX,
  SIGNAL_TYPES,
  type SignalFilterKind,
} from './vocabulary.js';

export type PathSegment = string | number;

/** A problem found while checking; `target` says whether to point at the key or at the value. */
export interface Problem {
  path: PathSegment[];
  target: 'key' | 'value';
  message: string;
}

type Scalar = string | number | boolean;

export interface OperatorTest {
  op: Operator;
  value: unknown;
}

export type RuleNode =
  | { kind: 'all'; rules: RuleNode[] }
  | { kind: 'any'; rules: RuleNode[] }
  | { kind: 'not'; rule: RuleNode }
  | { kind: 'field'; field: FieldSpec; tests: OperatorTest[] }
  | { kind: 'signal'; signal: SignalType; filters: Record<string, unknown> };

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `a list of ${value.length}`;
  return 'a mapping';
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isScalar = (v: unknown): v is Scalar =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

const KIND_WORDS: Record<FieldSpec['type'], string> = {
  number: 'a number field',
  string: 'a text field',
  date: 'a date field',
  enum: 'a field with a fixed set of values',
  attribute: 'a custom attribute',
};

function typeWords(f: FieldSpec): string {
  switch (f.type) {
    case 'number':
      return 'a number';
    case 'string':
      return 'text';
    case 'date':
      return 'a date written YYYY-MM-DD';
    case 'enum':
      return `one of ${f.values!.join(', ')}`;
    case 'attribute':
      return 'text, a number or true/false';
  }
}

/**
 * Checks a rule as written; returns its tree, or null when any problem was found
 * (problems are appended to `problems`).
 */
export function parseRule(raw: unknown, path: PathSegment[], problems: Problem[]): RuleNode | null {
  const before = problems.length;
  const node = parseNode(raw, path, problems);
  return problems.length === before ? node : null;
}

function parseNode(raw: unknown, path: PathSegment[], problems: Problem[]): RuleNode | null {
  if (!isPlainObject(raw)) {
    problems.push({
      path,
      target: 'value',
      message: `expected a rule (a mapping with one key: all, any, not or a field name), found ${describeValue(raw)}`,
    });
    return null;
  }
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    problems.push({
      path,
      target: 'value',
      message:
        keys.length === 0
          ? 'expected a rule, found an empty mapping (write `all: []` to match every customer)'
          : `expected one condition per rule, found ${keys.length} (${keys.join(', ')}); list them under \`all:\` or \`any:\``,
    });
    return null;
  }
  const key = keys[0]!;
  const value = raw[key];
  const here = [...path, key];
  if (key === 'all' || key === 'any') {
    if (!Array.isArray(value)) {
      problems.push({
        path: here,
        target: 'value',
        message: `${key}: expected a list of rules, found ${describeValue(value)}`,
      });
      return null;
    }
    const rules = value.map((child, i) => parseNode(child, [...here, i], problems));
    return rules.every((r) => r !== null) ? { kind: key, rules: rules as RuleNode[] } : null;
  }
  if (key === 'not') {
    const rule = parseNode(value, here, problems);
    return rule ? { kind: 'not', rule } : null;
  }
  if (key.startsWith(SIGNAL_PREFIX)) return parseSignal(key, value, here, problems);
  const field = fieldSpec(key);
  if (!field) {
    problems.push({
      path: here,
      target: 'key',
      message: `unknown field "${key}"${didYouMean(key, conditionKeys())}`,
    });
    return null;
  }
  return parseCondition(field, value, here, problems);
}

function parseCondition(
  field: FieldSpec,
  value: unknown,
  path: PathSegment[],
  problems: Problem[],
): RuleNode | null {
  const before = problems.length;
  let tests: OperatorTest[];
  if (Array.isArray(value)) tests = [{ op: 'in', value }];
  else if (isPlainObject(value))
    tests = Object.entries(value).map(([op, v]) => ({ op: op as Operator, value: v }));
  else if (isScalar(value)) tests = [{ op: 'eq', value }];
  else {
    problems.push({
      path,
      target: 'value',
      message: `${field.name}: expected a value or operators such as { ${operatorsFor(field).slice(0, 3).join(': …, ')}: … }, found ${describeValue(value)}`,
    });
    return null;
  }
  if (tests.length === 0) {
    problems.push({
      path,
      target: 'value',
      message: `${field.name}: expected at least one operator (${operatorsFor(field).join(', ')})`,
    });
  }
  const allowed = operatorsFor(field);
  const shorthand = !isPlainObject(value);
  for (const test of tests) {
    const opPath = shorthand ? path : [...path, test.op];
    const valuePath = opPath;
    if (!(ALL_OPERATORS as readonly string[]).includes(test.op)) {
      problems.push({
        path: opPath,
        target: 'key',
        message: `${field.name}: unknown operator "${test.op}"${didYouMean(test.op, allowed)} (operators for ${field.name}: ${allowed.join(', ')})`,
      });
      continue;
    }
    if (!allowed.includes(test.op)) {
      problems.push({
        path: opPath,
        target: 'key',
        message: `${field.name}: operator "${test.op}" does not fit ${KIND_WORDS[field.type]}; use one of ${allowed.join(', ')}`,
      });
      continue;
    }
    const problem = checkOperand(field, test.op, test.value);
    if (problem)
      problems.push({ path: valuePath, target: 'value', message: `${field.name} ${test.op}: ${problem}` });
  }
  return problems.length === before ? { kind: 'field', field, tests } : null;
}

function checkScalar(field: FieldSpec, v: unknown): string | undefined {
  let ok: boolean;
  switch (field.type) {
    case 'number':
      ok = typeof v === 'number' && Number.isFinite(v);
      break;
    case 'string':
      ok = typeof v === 'string';
      break;
    case 'date':
      ok = isIsoDate(v);
      if (!ok && typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v))
        return `"${v}" is not a real calendar date`;
      break;
    case 'enum':
      if (typeof v === 'string' && !field.values!.includes(v)) {
        return `expected ${typeWords(field)}, found "${v}"${didYouMean(v, field.values!)}`;
      }
      ok = typeof v === 'string';
      break;
    case 'attribute':
      ok = isScalar(v);
      break;
  }
  if (!ok) return `expected ${typeWords(field)}, found ${describeValue(v)}`;
  return field.checkValue && isScalar(v) && typeof v !== 'boolean' ? field.checkValue(v) : undefined;
}

function checkOrdered(field: FieldSpec, v: unknown): string | undefined {
  if (field.type === 'attribute') {
    return typeof v === 'number' && Number.isFinite(v)
      ? undefined
      : `expected a number, found ${describeValue(v)}`;
  }
  return checkScalar(field, v);
}

function rank(field: FieldSpec, v: unknown): number {
  if (field.type === 'enum') return field.values!.indexOf(v as string);
  if (field.type === 'date') return epochDay(v as string);
  return v as number;
}

function checkOperand(field: FieldSpec, op: Operator, v: unknown): string | undefined {
  switch (op) {
    case 'eq':
    case 'ne':
      return checkScalar(field, v);
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      return checkOrdered(field, v);
    case 'between': {
      if (!Array.isArray(v) || v.length !== 2)
        return `expected a list of two values [low, high], found ${describeValue(v)}`;
      const problem = checkOrdered(field, v[0]) ?? checkOrdered(field, v[1]);
      if (problem) return problem;
      if (rank(field, v[0]) > rank(field, v[1]))
        return `expected [low, high] with low ≤ high, found [${v[0]}, ${v[1]}]`;
      return undefined;
    }
    case 'in':
    case 'not_in': {
      if (!Array.isArray(v) || v.length === 0) return `expected a non-empty list, found ${describeValue(v)}`;
      for (const item of v) {
        const problem = checkScalar(field, item);
        if (problem) return problem;
      }
      return undefined;
    }
    case 'contains':
      return typeof v === 'string' ? undefined : `expected text, found ${describeValue(v)}`;
    case 'exists':
      return typeof v === 'boolean' ? undefined : `expected true or false, found ${describeValue(v)}`;
    case 'more_than_days_ago':
    case 'within_last_days':
      return Number.isInteger(v) && (v as number) >= 0
        ? undefined
        : `expected a whole number of days (0 or more), found ${describeValue(v)}`;
  }
}

function parseSignal(key: string, value: unknown, path: PathSegment[], problems: Problem[]): RuleNode | null {
  const type = key.slice(SIGNAL_PREFIX.length) as SignalType;
  if (!SIGNAL_TYPES.includes(type)) {
    problems.push({
      path,
      target: 'key',
      message: `unknown signal "${key}"${didYouMean(
        key,
        SIGNAL_TYPES.map((t) => SIGNAL_PREFIX + t),
      )} (signals: ${SIGNAL_TYPES.join(', ')})`,
    });
    return null;
  }
  if (value === true) return { kind: 'signal', signal: type, filters: {} };
  if (!isPlainObject(value)) {
    problems.push({
      path,
      target: 'value',
      message: `${key}: expected true or a mapping of filters (${Object.keys(SIGNAL_FILTERS[type]).join(', ')}), found ${describeValue(value)}`,
    });
    return null;
  }
  const allowed = SIGNAL_FILTERS[type];
  const before = problems.length;
  for (const [name, v] of Object.entries(value)) {
    const kind = allowed[name];
    if (!kind) {
      const names = Object.keys(allowed);
      problems.push({
        path: [...path, name],
        target: 'key',
        message: `${key}: unknown filter "${name}"${didYouMean(name, names)} (filters: ${names.join(', ') || 'none'})`,
      });
      continue;
    }
    const problem = checkSignalFilter(kind, v);
    if (problem)
      problems.push({ path: [...path, name], target: 'value', message: `${key} ${name}: ${problem}` });
  }
  return problems.length === before ? { kind: 'signal', signal: type, filters: value } : null;
}

function checkSignalFilter(kind: SignalFilterKind, v: unknown): string | undefined {
  const items = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && (kind === 'direction' || kind === 'days'))
    return `expected one value, found a list`;
  if (items.length === 0) return 'expected a value or a non-empty list';
  for (const item of items) {
    switch (kind) {
      case 'stage':
      case 'tier': {
        const values = kind === 'stage' ? LIFE_STAGES : CLV_TIERS;
        if (typeof item !== 'string' || !values.includes(item as never)) {
          const hint = typeof item === 'string' ? didYouMean(item, values) : '';
          return `expected one of ${values.join(', ')}, found ${describeValue(item)}${hint}`;
        }
        break;
      }
      case 'direction':
        if (item !== 'up' && item !== 'down') return `expected up or down, found ${describeValue(item)}`;
        break;
      case 'days':
      case 'int':
        if (!Number.isInteger(item) || (item as number) < 0) {
          return `expected a whole number (0 or more), found ${describeValue(item)}`;
        }
        break;
      case 'probability':
        if (typeof item !== 'number' || item < 0 || item > 1) {
          return `expected a probability from 0 to 1, found ${describeValue(item)}`;
        }
        break;
    }
  }
  return undefined;
}

// ---- compilation --------------------------------------------------------------------------

export type Matcher = (subject: AudienceSubject) => boolean;

type Value = string | number | boolean | undefined;

function compileTest(field: FieldSpec, test: OperatorTest): (v: Value, s: AudienceSubject) => boolean {
  const { op, value } = test;
  const ordinal = field.type === 'enum' ? (v: Value) => field.values!.indexOf(v as string) : null;
  const cmp = (pred: (a: number | string, b: number | string) => boolean) => {
    if (ordinal) {
      const target = ordinal(value as string);
      return (v: Value) => v !== undefined && ordinal(v) >= 0 && pred(ordinal(v), target);
    }
    const target = value as number | string;
    return (v: Value) => typeof v === typeof target && pred(v as number | string, target);
  };
  switch (op) {
    case 'eq':
      return (v) => v === value;
    case 'ne':
      return (v) => v !== undefined && v !== value;
    case 'lt':
      return cmp((a, b) => a < b);
    case 'lte':
      return cmp((a, b) => a <= b);
    case 'gt':
      return cmp((a, b) => a > b);
    case 'gte':
      return cmp((a, b) => a >= b);
    case 'between': {
      const [lo, hi] = value as [unknown, unknown];
      const lowTest = compileTest(field, { op: 'gte', value: lo });
      const highTest = compileTest(field, { op: 'lte', value: hi });
      return (v, s) => lowTest(v, s) && highTest(v, s);
    }
    case 'in': {
      const set = new Set(value as Scalar[]);
      return (v) => v !== undefined && set.has(v);
    }
    case 'not_in': {
      const set = new Set(value as Scalar[]);
      return (v) => v !== undefined && !set.has(v);
    }
    case 'contains': {
      const needle = value as string;
      return (v) => typeof v === 'string' && v.includes(needle);
    }
    case 'exists':
      return (v) => (v !== undefined) === value;
    case 'more_than_days_ago': {
      const n = value as number;
      return (v, s) => typeof v === 'string' && epochDay(s.runDate) - epochDay(v) > n;
    }
    case 'within_last_days': {
      const n = value as number;
      return (v, s) => {
        if (typeof v !== 'string') return false;
        const ago = epochDay(s.runDate) - epochDay(v);
        return ago >= 0 && ago <= n;
      };
    }
  }
}

const asSet = (v: unknown): Set<unknown> | null =>
  v === undefined ? null : new Set(Array.isArray(v) ? v : [v]);

function compileSignal(type: SignalType, filters: Record<string, unknown>): Matcher {
  const from = asSet(filters['from']);
  const to = asSet(filters['to']);
  const years = asSet(filters['years']);
  const days = asSet(filters['days']);
  const threshold = asSet(filters['threshold']);
  const direction = filters['direction'] as string | undefined;
  const withinDays = filters['within_days'] as number | undefined;
  const test = (sig: Signal): boolean => {
    switch (sig.type) {
      case 'stage_changed':
        return (!from || from.has(sig.from)) && (!to || to.has(sig.to));
      case 'clv_tier_changed':
        return (
          (!from || from.has(sig.from)) &&
          (!to || to.has(sig.to)) &&
          (!direction || direction === sig.direction)
        );
      case 'p_alive_below':
        return !threshold || threshold.has(sig.threshold);
      case 'birthday':
        return withinDays === undefined || (sig.inDays >= 0 && sig.inDays <= withinDays);
      case 'signup_anniversary':
      case 'first_order_anniversary':
        return (
          (!years || years.has(sig.years)) &&
          (withinDays === undefined || (sig.inDays >= 0 && sig.inDays <= withinDays))
        );
      case 'tenure_milestone':
        return !days || days.has(sig.days);
    }
  };
  return (s) => {
    for (const sig of s.signals) if (sig.type === type && test(sig)) return true;
    return false;
  };
}

export function compileRule(node: RuleNode): Matcher {
  switch (node.kind) {
    case 'all': {
      const parts = node.rules.map(compileRule);
      if (parts.length === 0) return () => true;
      if (parts.length === 1) return parts[0]!;
      return (s) => {
        for (const p of parts) if (!p(s)) return false;
        return true;
      };
    }
    case 'any': {
      const parts = node.rules.map(compileRule);
      return (s) => {
        for (const p of parts) if (p(s)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compileRule(node.rule);
      return (s) => !inner(s);
    }
    case 'field': {
      const get = node.field.get;
      const tests = node.tests.map((t) => compileTest(node.field, t));
      if (tests.length === 1) {
        const only = tests[0]!;
        return (s) => only(get(s), s);
      }
      return (s) => {
        const v = get(s);
        for (const t of tests) if (!t(v, s)) return false;
        return true;
      };
    }
    case 'signal':
      return compileSignal(node.signal, node.filters);
  }
}

// ---- reasoning about rules ----------------------------------------------------------------

const sortValue = (v: unknown): unknown => (Array.isArray(v) ? [...v].map(String).sort() : v);

/** A canonical text form: equal for rules that differ only in order of all/any children or list items. */
export function canonicalRule(node: RuleNode): string {
  switch (node.kind) {
    case 'all':
    case 'any': {
      const parts = [...new Set(node.rules.map(canonicalRule))].sort();
      if (parts.length === 1) return parts[0]!;
      return `${node.kind}(${parts.join(',')})`;
    }
    case 'not':
      return `not(${canonicalRule(node.rule)})`;
    case 'field': {
      const tests = node.tests
        .map(
          (t) =>
            `${t.op === 'in' && !Array.isArray(t.value) ? 'eq' : t.op}=${JSON.stringify(t.op === 'between' ? t.value : sortValue(t.value))}`,
        )
        .sort();
      return `${node.field.name}{${tests.join(';')}}`;
    }
    case 'signal': {
      const filters = Object.entries(node.filters)
        .map(([k, v]) => `${k}=${JSON.stringify(sortValue(v))}`)
        .sort();
      return `signal.${node.signal}{${filters.join(';')}}`;
    }
  }
}

/** True when the rule provably matches every customer (e.g. `all: []`). */
export function alwaysTrue(node: RuleNode): boolean {
  switch (node.kind) {
    case 'all':
      return node.rules.every(alwaysTrue);
    case 'any':
      return node.rules.some(alwaysTrue);
    case 'not':
      return alwaysFalse(node.rule);
    default:
      return false;
  }
}

/** True when the rule provably matches no customer (e.g. `any: []`). */
export function alwaysFalse(node: RuleNode): boolean {
  switch (node.kind) {
    case 'all':
      return node.rules.some(alwaysFalse);
    case 'any':
      return node.rules.every(alwaysFalse);
    case 'not':
      return alwaysTrue(node.rule);
    default:
      return false;
  }
}

/** True when every customer matching `b` provably matches `a` (sound, not complete). */
export function implies(b: RuleNode, a: RuleNode): boolean {
  if (alwaysTrue(a) || alwaysFalse(b)) return true;
  if (canonicalRule(a) === canonicalRule(b)) return true;
  if (b.kind === 'all' && b.rules.some((c) => implies(c, a))) return true;
  if (a.kind === 'any' && a.rules.some((c) => implies(b, c))) return true;
  if (b.kind === 'any' && b.rules.length > 0 && b.rules.every((c) => implies(c, a))) return true;
  if (a.kind === 'all' && a.rules.length > 0 && a.rules.every((c) => implies(b, c))) return true;
  return false;
}
