// Remembered renders. A template's output depends only on the values it reads, and the send stage
// renders the same few templates for thousands of customers whose values repeat (first names, the
// segment's offer): liquidjs evaluation is the largest part of the stage's own cost per email.
import type { Liquid, Template } from 'liquidjs';

/** Renders one template part for a template context. */
export type PartRenderer = (context: Record<string, unknown>) => string;

/** Results kept per template; the map starts over when full (a night has few distinct values). */
const MAX_RESULTS = 2_000;
/** A date filter fed "now" or "today" gives another result tomorrow: such templates are not kept. */
const MOVING_DATE = /["']\s*(?:now|today)\s*["']/i;

/**
 * A renderer that remembers results by the values the template reads. The paths come from liquidjs'
 * static analysis; a path is followed only through plain objects, so `customer.firstName.size` is
 * keyed by the first name and `customer.attributes[name]` by all the attributes. Templates whose
 * reads cannot be listed, or that depend on the clock, are rendered every time.
 */
export function rememberingRenderer(engine: Liquid, templates: Template[], source: string): PartRenderer {
  const render: PartRenderer = (context) => String(engine.renderSync(templates, context));
  const paths = MOVING_DATE.test(source) ? undefined : readPaths(engine, templates);
  if (!paths) return render;
  const results = new Map<string, string>();
  return (context) => {
    let key = '';
    for (const path of paths) key += keyPart(valueAt(context, path));
    const known = results.get(key);
    if (known !== undefined) return known;
    const out = render(context);
    if (results.size >= MAX_RESULTS) results.clear();
    results.set(key, out);
    return out;
  };
}

/** The literal prefixes of every global variable path, or undefined when analysis fails. */
function readPaths(engine: Liquid, templates: Template[]): string[][] | undefined {
  let globals: Record<string, { segments: unknown[] }[]>;
  try {
    globals = engine.analyzeSync(templates, { partials: false }).globals;
  } catch {
    return undefined;
  }
  const unique = new Map<string, string[]>();
  for (const variables of Object.values(globals)) {
    for (const variable of variables) {
      const path: string[] = [];
      // A computed segment (`a[b]`) reads whatever b names: keep the prefix, the whole object.
      for (const segment of variable.segments) {
        if (typeof segment !== 'string' && typeof segment !== 'number') break;
        path.push(String(segment));
      }
      if (path.length > 0) unique.set(JSON.stringify(path), path);
    }
  }
  return [...unique.values()];
}

function valueAt(context: Record<string, unknown>, path: readonly string[]): unknown {
  let value: unknown = context;
  for (const segment of path) {
    // Strings, arrays and missing keys stop the walk: liquid may read `size`, `first` or an index of
    // them, so the whole value is the key.
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      !Object.hasOwn(value, segment)
    ) {
      return value;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * One value's part of a key, unambiguous without separators: strings carry their length. undefined
 * and null render differently under strictVariables, so they are kept apart, inside objects too.
 */
function keyPart(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return `s${value.length}:${value}`;
    case 'number':
    case 'boolean':
      return `${typeof value === 'number' ? 'n' : 'b'}${value};`;
    case 'undefined':
      return 'u;';
    default: {
      const json = JSON.stringify(value, keepUndefined);
      return `j${json.length}:${json}`;
    }
  }
}

const keepUndefined = (_key: string, value: unknown) => (value === undefined ? '\u0000undefined' : value);
