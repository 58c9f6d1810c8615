// Graph <-> document: what the canvas saves is what it loaded, keys survive renames, one edge
// per block and outcome.
import { describe, expect, it } from "vitest";
import { connect, documentToGraph, freshKey, graphToDocument } from "../src/mapping";
import type { DocBlock, WorkflowDocument } from "../src/types";
import joinerJson from "../../demo/joiner.json";

const joiner = joinerJson as unknown as WorkflowDocument;
const outcomes = (block: DocBlock) =>
  ({ condition: ["true", "false"], switch: ["default"], noop: ["next"] })[block.type] ?? ["next", "error"];

describe("documentToGraph / graphToDocument", () => {
  it("round-trips the seed's joiner document exactly", () => {
    const { nodes, edges } = documentToGraph(joiner, outcomes);
    expect(nodes).toHaveLength(joiner.blocks.length);
    expect(edges).toHaveLength(joiner.edges.length);
    expect(graphToDocument(nodes, edges, joiner.workflow, joiner.format)).toEqual(joiner);
  });

  it("gives each outcome a handle, including wired outcomes the type does not list", () => {
    const { nodes } = documentToGraph(joiner, outcomes);
    const department = nodes.find((n) => n.data.key === "by_department");
    expect(department?.data.outcomes).toEqual(["default", "Finance", "Engineering"]);
    const risky = nodes.find((n) => n.data.key === "risky");
    expect(risky?.data.outcomes).toEqual(["true", "false"]);
  });

  it("keeps edges when a block's key is renamed on the canvas", () => {
    const { nodes, edges } = documentToGraph(joiner, outcomes);
    const renamed = nodes.map((n) => (n.data.key === "person" ? { ...n, data: { ...n.data, key: "joiner" } } : n));
    const document = graphToDocument(renamed, edges, joiner.workflow);
    expect(document.edges).toContainEqual({ from: "hire", to: "joiner", outcome: "next" });
    expect(document.edges).toContainEqual({ from: "joiner", to: "standard_tools", outcome: "next" });
    expect(document.blocks.map((b) => b.key)).not.toContain("person");
  });

  it("rounds positions moved by dragging to whole pixels", () => {
    const { nodes, edges } = documentToGraph(joiner, outcomes);
    nodes[0] = { ...nodes[0], position: { x: 10.6, y: -3.2 } };
    expect(graphToDocument(nodes, edges, joiner.workflow).blocks[0].position).toEqual({ x: 11, y: -3 });
  });

  it("drops edges whose block was deleted and skips edges to unknown keys on load", () => {
    const broken = { ...joiner, edges: [...joiner.edges, { from: "hire", to: "ghost", outcome: "error" }] };
    const { nodes, edges } = documentToGraph(broken, outcomes);
    expect(edges).toHaveLength(joiner.edges.length);
    const withoutDone = nodes.filter((n) => n.data.key !== "done");
    const document = graphToDocument(withoutDone, edges, joiner.workflow);
    expect(document.edges.some((e) => e.to === "done")).toBe(false);
  });
});

describe("connect", () => {
  it("replaces the edge of the same outcome instead of adding a second one", () => {
    const { edges } = documentToGraph(joiner, outcomes);
    const rewired = connect(edges, "n8", "false", "n9");
    const again = connect(rewired, "n8", "false", "n2");
    expect(again.filter((e) => e.source === "n8" && e.sourceHandle === "false")).toHaveLength(1);
    expect(again.find((e) => e.id === "n8::false")?.target).toBe("n2");
  });

  it("refuses a block wired to itself", () => {
    expect(connect([], "n1", "next", "n1")).toEqual([]);
  });
});

describe("freshKey", () => {
  it("is the type's name, numbered when taken", () => {
    expect(freshKey("condition", [])).toBe("condition");
    expect(freshKey("condition", ["condition", "condition_2"])).toBe("condition_3");
    expect(freshKey("add-group member", [])).toBe("add_group_member");
  });
});
