// Auto-layout: left to right by dagre, the trigger first; positions only, nothing else moves.
import dagre from "@dagrejs/dagre";
import type { BlockNode, OutcomeEdge } from "./mapping";

const WIDTH = 200;
const HEIGHT = 90;

export function autoLayout(nodes: BlockNode[], edges: OutcomeEdge[]): BlockNode[] {
  const graph = new dagre.graphlib.Graph();
  graph.setGraph({ rankdir: "LR", nodesep: 40, ranksep: 90 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) graph.setNode(node.id, { width: WIDTH, height: HEIGHT });
  for (const edge of edges) graph.setEdge(edge.source, edge.target);
  dagre.layout(graph);
  return nodes.map((node) => {
    const placed = graph.node(node.id);
    return placed
      ? { ...node, position: { x: Math.round(placed.x - WIDTH / 2), y: Math.round(placed.y - HEIGHT / 2) } }
      : node;
  });
}
