// Graph <-> document: the canvas holds React Flow nodes and edges; the server stores the
// workflow document. Node ids are stable canvas ids, so a block's key can be renamed in the
// side panel without losing its edges; the document speaks keys only.
import type { Edge, Node } from "@xyflow/react";
import type { DocBlock, DocEdge, JsonObject, WorkflowDocument } from "./types";

export interface BlockData extends Record<string, unknown> {
  key: string;
  kind: string;
  type: string;
  label: string;
  config: JsonObject;
  outcomes: string[];
  issues: string[];
  onPath: boolean;
  would: string;
}

export type BlockNode = Node<BlockData, "block">;
export type OutcomeEdge = Edge<{ outcome: string; issues: string[]; onPath: boolean }>;

export const edgeId = (source: string, outcome: string): string => `${source}::${outcome}`;

export function documentToGraph(
  document: WorkflowDocument,
  outcomesOf: (block: DocBlock) => string[],
): { nodes: BlockNode[]; edges: OutcomeEdge[] } {
  const idOf = new Map<string, string>();
  const nodes: BlockNode[] = document.blocks.map((block, index) => {
    const id = `n${index + 1}`;
    idOf.set(block.key, id);
    const wired = document.edges.filter((e) => e.from === block.key).map((e) => e.outcome);
    const outcomes = [...outcomesOf(block)];
    for (const outcome of wired) if (!outcomes.includes(outcome)) outcomes.push(outcome);
    return {
      id,
      type: "block",
      position: { x: block.position?.x ?? 0, y: block.position?.y ?? 0 },
      data: {
        key: block.key,
        kind: block.kind,
        type: block.type,
        label: block.label ?? "",
        config: block.config ?? {},
        outcomes,
        issues: [],
        onPath: false,
        would: "",
      },
    };
  });
  const edges: OutcomeEdge[] = document.edges
    .filter((e) => idOf.has(e.from) && idOf.has(e.to))
    .map((e) => {
      const source = idOf.get(e.from) as string;
      return {
        id: edgeId(source, e.outcome),
        source,
        target: idOf.get(e.to) as string,
        sourceHandle: e.outcome,
        label: e.outcome,
        data: { outcome: e.outcome, issues: [], onPath: false },
      };
    });
  return { nodes, edges };
}

export function graphToDocument(
  nodes: BlockNode[],
  edges: OutcomeEdge[],
  workflow: WorkflowDocument["workflow"],
  format = "idconfluence.workflow/v1",
): WorkflowDocument {
  const keyOf = new Map(nodes.map((n) => [n.id, n.data.key]));
  const blocks: DocBlock[] = nodes.map((n) => ({
    key: n.data.key,
    kind: n.data.kind,
    type: n.data.type,
    label: n.data.label,
    config: n.data.config,
    position: { x: Math.round(n.position.x), y: Math.round(n.position.y) },
  }));
  const docEdges: DocEdge[] = edges
    .filter((e) => keyOf.has(e.source) && keyOf.has(e.target))
    .map((e) => ({
      from: keyOf.get(e.source) as string,
      to: keyOf.get(e.target) as string,
      outcome: e.sourceHandle ?? e.data?.outcome ?? "next",
    }));
  return { format, workflow, blocks, edges: docEdges };
}

/** A key not used yet, from the block type's name ("condition", "condition_2", ...). */
export function freshKey(type: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const base = type.replace(/[^a-z0-9_]/gi, "_").toLowerCase() || "block";
  if (!used.has(base)) return base;
  for (let n = 2; ; n += 1) if (!used.has(`${base}_${n}`)) return `${base}_${n}`;
}

/** Only one edge may leave a block per outcome: a new connection replaces the old one. */
export function connect(
  edges: OutcomeEdge[],
  source: string,
  outcome: string,
  target: string,
): OutcomeEdge[] {
  if (source === target) return edges;
  const id = edgeId(source, outcome);
  const kept = edges.filter((e) => e.id !== id);
  return [
    ...kept,
    { id, source, target, sourceHandle: outcome, label: outcome, data: { outcome, issues: [], onPath: false } },
  ];
}
