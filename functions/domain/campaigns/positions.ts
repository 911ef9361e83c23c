// Maps paths in the parsed document (zod issue paths, rule paths) back to line:column in the source,
// using the yaml CST ranges. JSON parses as YAML (flow style), so positions work for JSON too.
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type Scalar,
  visit,
} from 'yaml';
import type { PathSegment } from './rules.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedSource {
  value: unknown;
  /** YAML syntax errors, already positioned; `limit` when a size, depth or alias limit refused it. */
  syntaxErrors: Array<Position & { message: string; limit?: true }>;
  locate(path: readonly PathSegment[], target: 'key' | 'value'): Position;
  /** The scalar node at `path`, when there is one (for template positions). */
  scalarAt(path: readonly PathSegment[]): Scalar | undefined;
  positionOf(offset: number): Position;
  source: string;
}

/**
 * Limits on a campaign (or brand) document, checked before and while it is parsed: a file is written
 * by a person, so anything past these is a mistake or an attack (a 10 MB file, 10,000 nested
 * brackets, a "billion laughs" alias bomb) and is refused with one positioned error.
 */
export const SOURCE_LIMITS = {
  /** Characters; the upload Lambda refuses objects above 1 MB too (MAX_OBJECT_BYTES). */
  maxChars: 1_000_000,
  /** Nested mappings/sequences; real campaigns use fewer than 12. */
  maxDepth: 64,
  /** Alias references (`*name`) that yaml may expand; campaigns need none. */
  maxAliasCount: 100,
} as const;

export function parseSource(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (text.length > SOURCE_LIMITS.maxChars) {
    return refused(text, positionOf, {
      line: 1,
      column: 1,
      message: `the file has ${text.length} characters, more than the limit of ${SOURCE_LIMITS.maxChars}; put large bodies in htmlFile / textFile templates`,
    });
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const rawErrors = doc.errors.map((e) => ({
    ...positionOf(e.pos[0]),
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, ''),
  }));
  // yaml's composer recurses per nesting level: very deep input ends in stack overflows (one per
  // level). One error at the first of them says what is wrong.
  const overflow = rawErrors.find((e) => /call stack/i.test(e.message));
  const tooDeep =
    overflow ?? (rawErrors.length === 0 ? deeperThan(doc.contents, SOURCE_LIMITS.maxDepth) : undefined);
  if (tooDeep) {
    const at = overflow ?? positionOf((tooDeep as { offset: number }).offset);
    return refused(text, positionOf, {
      line: at.line,
      column: at.column,
      message: `nested more than ${SOURCE_LIMITS.maxDepth} levels deep (a campaign needs a few)`,
    });
  }
  const syntaxErrors: ParsedSource['syntaxErrors'] = rawErrors;
  let value: unknown;
  if (syntaxErrors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: SOURCE_LIMITS.maxAliasCount });
    } catch (error) {
      // yaml throws "Excessive alias count indicates a resource exhaustion attack" (billion laughs).
      const alias = firstAlias(doc.contents);
      syntaxErrors.push({
        ...positionOf(alias ?? 0),
        limit: true,
        message: `aliases expand too far (${(error as Error).message}); write the values out instead of using *aliases`,
      });
    }
  }

  /** Walks as far as the path exists; returns the deepest node and the key node of the last pair. */
  const walk = (path: readonly PathSegment[]) => {
    let node: unknown = doc.contents;
    let keyNode: Node | undefined;
    let ownerKey: Node | undefined;
    let complete = true;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
        if (!pair) {
          complete = false;
          break;
        }
        ownerKey = pair.key as Node;
        keyNode = ownerKey;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
        node = node.items[seg];
        keyNode = undefined;
      } else {
        complete = false;
        break;
      }
    }
    return { node: node as Node | null | undefined, keyNode, ownerKey, complete };
  };

  const start = (n: Node | null | undefined): number | undefined => n?.range?.[0];

  return {
    value,
    syntaxErrors,
    source: text,
    positionOf,
    scalarAt(path) {
      const { node, complete } = walk(path);
      return complete && isScalar(node) ? node : undefined;
    },
    locate(path, target) {
      const { node, keyNode, ownerKey, complete } = walk(path);
      let offset: number | undefined;
      if (!complete) offset = start(ownerKey) ?? start(node);
      else if (target === 'key') offset = start(keyNode) ?? start(node);
      else offset = start(node) ?? start(keyNode);
      return positionOf(offset ?? 0);
    },
  };
}

/** A source refused before its structure is looked at: no value, one positioned error. */
function refused(
  text: string,
  positionOf: (offset: number) => Position,
  error: Position & { message: string },
): ParsedSource {
  const limited = { ...error, limit: true as const };
  return {
    value: undefined,
    syntaxErrors: [limited],
    source: text,
    positionOf,
    scalarAt: () => undefined,
    locate: () => ({ line: error.line, column: error.column }),
  };
}

/** The first collection nested deeper than `max`, found without recursion (the input may be hostile). */
function deeperThan(root: unknown, max: number): { offset: number } | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > max) return { offset: node.range?.[0] ?? 0 };
    for (const item of node.items) {
      if (isPair(item)) {
        stack.push({ node: item.key, depth: depth + 1 }, { node: item.value, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Offset of the first alias node, for the position of an alias-bomb error. */
function firstAlias(root: unknown): number | undefined {
  let found: number | undefined;
  visit(root as Node, {
    Alias(_key, node) {
      found = node.range?.[0];
      return visit.BREAK;
    },
  });
  return found;
}
