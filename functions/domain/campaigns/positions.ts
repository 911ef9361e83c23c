// Maps paths in the parsed document (zod issue paths, rule paths) back to line:column in the source,
// using the yaml CST ranges. JSON parses as YAML (flow style), so positions work for JSON too.
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar } from 'yaml';
import type { PathSegment } from './rules.js';

export interface Position {
  line: number;
  column: number;
}

export interface ParsedSource {
  value: unknown;
  /** YAML syntax errors, already positioned. */
  syntaxErrors: Array<Position & { message: string }>;
  locate(path: readonly PathSegment[], target: 'key' | 'value'): Position;
  /** The scalar node at `path`, when there is one (for template positions). */
  scalarAt(path: readonly PathSegment[]): Scalar | undefined;
  positionOf(offset: number): Position;
  source: string;
}

export function parseSource(text: string): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const positionOf = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const syntaxErrors = doc.errors.map((e) => ({
    ...positionOf(e.pos[0]),
    message: e.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, ''),
  }));
  const value = syntaxErrors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined;

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
