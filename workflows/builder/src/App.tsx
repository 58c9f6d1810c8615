// The builder: palette, canvas, side panel and toolbar over one workflow's draft. The canvas
// state is React Flow nodes and edges with undo/redo; the server is asked for everything it
// owns (block types, validation, expressions, connectors, dry runs) so the two never disagree.
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  applyEdgeChanges,
  applyNodeChanges,
  useReactFlow,
} from "@xyflow/react";
import type { Connection, EdgeChange, NodeChange } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Api, ApiError } from "./api";
import { BlockNode } from "./BlockNode";
import { record, redo, start, undo } from "./history";
import type { History } from "./history";
import { autoLayout } from "./layout";
import { connect, documentToGraph, edgeId, freshKey, graphToDocument } from "./mapping";
import type { BlockData, BlockNode as BlockNodeType, OutcomeEdge } from "./mapping";
import { SidePanel } from "./SidePanel";
import type { BlockType, DocBlock, Draft, DryRun, PaletteGroup, Problem, Sample, WorkflowDocument } from "./types";
import { typeId } from "./types";

const nodeTypes = { block: BlockNode };
const DRAG_TYPE = "application/x-idc-block";

interface Graph {
  nodes: BlockNodeType[];
  edges: OutcomeEdge[];
}

interface Message {
  kind: "ok" | "error" | "info";
  text: string;
  stale?: boolean;
}

export interface AppProps {
  api: Api;
}

export function App(props: AppProps) {
  return (
    <ReactFlowProvider>
      <Builder {...props} />
    </ReactFlowProvider>
  );
}

function Builder({ api }: AppProps) {
  const flow = useReactFlow();
  const [palette, setPalette] = useState<PaletteGroup[]>([]);
  const [draft, setDraft] = useState<Draft | null>(null);
  const [history, setHistory] = useState<History<Graph>>(start({ nodes: [], edges: [] }));
  const [dirty, setDirty] = useState(false);
  const [message, setMessage] = useState<Message | null>(null);
  const [graphIssues, setGraphIssues] = useState<string[]>([]);
  const [samples, setSamples] = useState<Sample[]>([]);
  const [sampleId, setSampleId] = useState("");
  const [dryRun, setDryRun] = useState<DryRun | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const importInput = useRef<HTMLInputElement>(null);
  const graph = history.present;

  const types = useMemo(() => {
    const found = new Map<string, BlockType>();
    for (const group of palette) for (const t of group.types) found.set(typeId(t.kind, t.type), t);
    return found;
  }, [palette]);

  const outcomesOf = useCallback(
    (block: DocBlock) => types.get(typeId(block.kind, block.type))?.outcomes ?? ["next"],
    [types],
  );

  const load = useCallback(
    (fresh: Draft, fromTypes: Map<string, BlockType>) => {
      const statics = (block: DocBlock) => fromTypes.get(typeId(block.kind, block.type))?.outcomes ?? ["next"];
      const loaded = documentToGraph(fresh.document, statics);
      setDraft(fresh);
      setHistory(start(loaded));
      setDirty(false);
      setDryRun(null);
      setGraphIssues([]);
      // Outcomes that depend on config (a switch's cases, an approval's outcomes) come from the server.
      for (const node of loaded.nodes) {
        const blockType = fromTypes.get(typeId(node.data.kind, node.data.type));
        if (blockType) refreshOutcomes(node.id, blockType, node.data.config);
      }
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [],
  );

  // `flow` changes identity once React Flow has mounted: load once, not on every change of it.
  const loaded = useRef(false);
  const flowRef = useRef(flow);
  flowRef.current = flow;

  useEffect(() => {
    if (loaded.current) return;
    loaded.current = true;
    Promise.all([api.palette(), api.draft(), api.samples()])
      .then(([groups, fresh, found]) => {
        setPalette(groups);
        const map = new Map<string, BlockType>();
        for (const group of groups) for (const t of group.types) map.set(typeId(t.kind, t.type), t);
        load(fresh, map);
        setSamples(found);
        setSampleId(found[0]?.id ?? "");
        window.setTimeout(() => flowRef.current.fitView({ padding: 0.2, maxZoom: 1 }), 50);
      })
      .catch((error: Error) => setMessage({ kind: "error", text: `The builder could not load: ${error.message}` }));
  }, [api, load]);

  const readOnly = !draft?.can.change;
  const sample = samples.find((s) => s.id === sampleId)?.payload;

  const commit = useCallback((change: (current: Graph) => Graph) => {
    setHistory((h) => record(h, change(h.present)));
    setDirty(true);
  }, []);

  const live = useCallback((change: (current: Graph) => Graph) => {
    setHistory((h) => ({ ...h, present: change(h.present) }));
  }, []);

  const outcomeRequests = useRef(new Map<string, number>());

  /** Ask the server for a block's handles; of several answers in flight only the latest counts. */
  function refreshOutcomes(nodeId: string, blockType: BlockType, config: unknown) {
    const ticket = (outcomeRequests.current.get(nodeId) ?? 0) + 1;
    outcomeRequests.current.set(nodeId, ticket);
    api
      .outcomes(blockType, config as never)
      .then((answer) => {
        if (outcomeRequests.current.get(nodeId) !== ticket) return;
        live((g) => ({
          ...g,
          nodes: g.nodes.map((n) => {
            if (n.id !== nodeId) return n;
            const wired = g.edges.filter((e) => e.source === n.id).map((e) => e.sourceHandle ?? "");
            const outcomes = [...answer.outcomes, ...wired.filter((o) => o && !answer.outcomes.includes(o))];
            return { ...n, data: { ...n.data, outcomes } };
          }),
        }));
      })
      .catch(() => undefined);
  }

  const onNodesChange = useCallback(
    (changes: NodeChange<BlockNodeType>[]) => {
      const removing = changes.some((c) => c.type === "remove");
      if (removing && readOnly) return;
      const apply = (g: Graph) => {
        const nodes = applyNodeChanges(changes, g.nodes);
        const ids = new Set(nodes.map((n) => n.id));
        return { nodes, edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
      };
      if (removing) commit(apply);
      else {
        live(apply);
        if (changes.some((c) => c.type === "position" && c.dragging === false)) setDirty(true);
      }
    },
    [commit, live, readOnly],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<OutcomeEdge>[]) => {
      const removing = changes.some((c) => c.type === "remove");
      if (removing && readOnly) return;
      const apply = (g: Graph) => ({ ...g, edges: applyEdgeChanges(changes, g.edges) });
      if (removing) commit(apply);
      else live(apply);
    },
    [commit, live, readOnly],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (readOnly || !c.source || !c.target) return;
      commit((g) => ({ ...g, edges: connect(g.edges, c.source, c.sourceHandle ?? "next", c.target) }));
    },
    [commit, readOnly],
  );

  const addBlock = useCallback(
    (blockType: BlockType, position: { x: number; y: number }) => {
      commit((g) => {
        const key = freshKey(blockType.type, g.nodes.map((n) => n.data.key));
        let n = g.nodes.length + 1;
        while (g.nodes.some((node) => node.id === `n${n}`)) n += 1;
        const node: BlockNodeType = {
          id: `n${n}`,
          type: "block",
          position,
          selected: true,
          data: {
            key,
            kind: blockType.kind,
            type: blockType.type,
            label: blockType.label,
            config: {},
            outcomes: [...blockType.outcomes],
            issues: [],
            onPath: false,
            would: "",
          },
        };
        return { ...g, nodes: [...g.nodes.map((x) => ({ ...x, selected: false })), node] };
      });
    },
    [commit],
  );

  const onDrop = useCallback(
    (event: React.DragEvent) => {
      event.preventDefault();
      const id = event.dataTransfer.getData(DRAG_TYPE);
      const blockType = types.get(id);
      if (!blockType || readOnly) return;
      addBlock(blockType, flow.screenToFlowPosition({ x: event.clientX, y: event.clientY }));
    },
    [addBlock, flow, readOnly, types],
  );

  const selected = graph.nodes.filter((n) => n.selected);
  const current = selected.length === 1 ? selected[0] : null;

  function patchNode(id: string, patch: Partial<BlockData>) {
    commit((g) => ({
      ...g,
      nodes: g.nodes.map((n) => (n.id === id ? { ...n, data: { ...n.data, ...patch } } : n)),
    }));
    const node = graph.nodes.find((n) => n.id === id);
    const blockType = node && types.get(typeId(node.data.kind, node.data.type));
    if (patch.config && blockType) refreshOutcomes(id, blockType, patch.config);
  }

  function documentNow(): WorkflowDocument {
    const meta = draft?.document.workflow ?? { slug: "", name: "", description: "" };
    return graphToDocument(graph.nodes, graph.edges, meta, draft?.document.format);
  }

  function showProblems(problems: Problem[]) {
    const byBlock = new Map<string, string[]>();
    const byEdge = new Map<string, string[]>();
    const idOfKey = new Map(graph.nodes.map((n) => [n.data.key, n.id]));
    const loose: string[] = [];
    for (const p of problems) {
      const source = p.edge ? idOfKey.get(p.edge.from) : undefined;
      if (p.edge && source) {
        const id = edgeId(source, p.edge.outcome);
        byEdge.set(id, [...(byEdge.get(id) ?? []), p.message]);
      } else if (p.block && idOfKey.has(p.block)) {
        byBlock.set(p.block, [...(byBlock.get(p.block) ?? []), p.message]);
      } else loose.push(p.block ? `${p.block}: ${p.message}` : p.message);
    }
    live((g) => ({
      nodes: g.nodes.map((n) => ({ ...n, data: { ...n.data, issues: byBlock.get(n.data.key) ?? [] } })),
      edges: g.edges.map((e) => {
        const issues = byEdge.get(e.id) ?? [];
        return {
          ...e,
          className: issues.length ? "idc-edge-issue" : undefined,
          label: issues.length ? `${e.sourceHandle}: ${issues.join("; ")}` : (e.sourceHandle ?? ""),
          data: { outcome: e.sourceHandle ?? "", onPath: false, issues },
        };
      }),
    }));
    setGraphIssues(loose);
  }

  function clearDryRun() {
    setDryRun(null);
    live((g) => ({
      nodes: g.nodes.map((n) => ({ ...n, data: { ...n.data, onPath: false, would: "" } })),
      edges: g.edges.map((e) => ({ ...e, animated: false, className: e.data?.issues.length ? "idc-edge-issue" : undefined })),
    }));
  }

  async function guarded(work: () => Promise<void>) {
    setBusy(true);
    try {
      await work();
    } catch (error) {
      if (error instanceof ApiError) {
        if (error.issues.length) showProblems(error.issues);
        setMessage({ kind: "error", text: error.message, stale: error.status === 409 });
      } else setMessage({ kind: "error", text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  }

  const save = () =>
    guarded(async () => {
      if (!draft) return;
      const saved = await api.save(draft.revision, documentNow());
      setDraft(saved);
      setDirty(false);
      showProblems([]);
      setMessage({ kind: "ok", text: `Saved (v${saved.number} draft).` });
    });

  const validate = () =>
    guarded(async () => {
      const answer = await api.validate(documentNow());
      showProblems(answer.issues);
      setMessage(
        answer.ok
          ? { kind: "ok", text: "No problems: the draft can be published." }
          : { kind: "error", text: `${answer.issues.length} problem(s) to fix before publishing; they are marked on the canvas.` },
      );
    });

  const fitSoon = () => window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);

  const reload = () =>
    guarded(async () => {
      load(await api.draft(), types);
      fitSoon();
      setMessage({ kind: "info", text: "Reloaded the latest saved draft." });
    });

  const publish = () =>
    guarded(async () => {
      if (!draft) return;
      if (dirty) {
        setMessage({ kind: "error", text: "Save your changes before publishing: only a saved draft publishes." });
        return;
      }
      const published = await api.publish(draft.revision, note);
      setPublishing(false);
      setNote("");
      load(await api.draft(), types);
      fitSoon();
      setMessage({ kind: "ok", text: `Published as v${published.number}. A new draft is open for further changes.` });
    });

  const runDry = () =>
    guarded(async () => {
      if (dirty) {
        setMessage({ kind: "error", text: "Save your changes first: the dry run walks the saved draft." });
        return;
      }
      if (!sample) {
        setMessage({ kind: "error", text: "Choose a sample payload for the dry run." });
        return;
      }
      const result = await api.dryRun(sample);
      setDryRun(result);
      const would = new Map(result.steps.map((s) => [s.block, s.would]));
      const onPath = new Set(result.path);
      const edgeOnPath = new Set(result.edges.map((e) => `${e.from}::${e.outcome}`));
      live((g) => {
        const keyOf = new Map(g.nodes.map((n) => [n.id, n.data.key]));
        return {
          nodes: g.nodes.map((n) => ({
            ...n,
            data: { ...n.data, onPath: onPath.has(n.data.key), would: would.get(n.data.key) ?? "" },
          })),
          edges: g.edges.map((e) => {
            const lit = edgeOnPath.has(`${keyOf.get(e.source)}::${e.sourceHandle}`);
            return { ...e, animated: lit, className: lit ? "idc-edge-path" : undefined };
          }),
        };
      });
      setMessage({
        kind: result.state === "succeeded" ? "ok" : "error",
        text: `Dry run (run ${result.run_id}) ${result.state}${result.reason ? `: ${result.reason}` : ""}; nothing was changed.`,
      });
    });

  function exportDocument() {
    const blob = new Blob([JSON.stringify(documentNow(), null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = `${draft?.workflow.slug ?? "workflow"}.json`;
    link.click();
    URL.revokeObjectURL(link.href);
  }

  async function importDocument(file: File) {
    try {
      const parsed = JSON.parse(await file.text()) as WorkflowDocument;
      if (!parsed || !Array.isArray(parsed.blocks) || !Array.isArray(parsed.edges)) {
        throw new Error("it is not a workflow document (no blocks and edges lists)");
      }
      commit(() => documentToGraph(parsed, outcomesOf));
      setMessage({ kind: "info", text: `Imported ${file.name}: ${parsed.blocks.length} blocks. Save to keep it.` });
      window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
    } catch (error) {
      setMessage({ kind: "error", text: `${file.name} was not imported: ${(error as Error).message}` });
    }
  }

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement;
      if (target.closest("input, textarea, select")) return;
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        setHistory(event.shiftKey ? redo : undo);
        setDirty(true);
      } else if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "y") {
        event.preventDefault();
        setHistory(redo);
        setDirty(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const currentType = current ? types.get(typeId(current.data.kind, current.data.type)) : undefined;

  return (
    <div className="idc-builder">
      <div className="idc-toolbar" role="toolbar" aria-label="Builder">
        <strong className="idc-title">{draft ? `${draft.workflow.name} — draft v${draft.number}` : "Loading…"}</strong>
        <span className="idc-state" id="idc-state">
          {dirty ? "Unsaved changes" : draft?.saved_by ? `Saved by ${draft.saved_by}` : "Saved"}
        </span>
        <button type="button" className="idc-button" onClick={() => setHistory(undo)} disabled={!history.past.length}>
          Undo
        </button>
        <button type="button" className="idc-button" onClick={() => setHistory(redo)} disabled={!history.future.length}>
          Redo
        </button>
        <button
          type="button"
          className="idc-button"
          onClick={() => {
            commit((g) => ({ ...g, nodes: autoLayout(g.nodes, g.edges) }));
            window.setTimeout(() => flow.fitView({ padding: 0.2, maxZoom: 1 }), 50);
          }}
          disabled={readOnly}
        >
          Auto-layout
        </button>
        <button type="button" className="idc-button idc-primary" onClick={save} disabled={readOnly || busy || !draft}>
          Save
        </button>
        <button type="button" className="idc-button" onClick={validate} disabled={busy || !draft}>
          Validate
        </button>
        {draft?.can.publish && (
          <button type="button" className="idc-button" onClick={() => setPublishing(!publishing)} disabled={busy}>
            Publish…
          </button>
        )}
        {draft?.can.run && (
          <>
            <select
              className="idc-input idc-sample"
              aria-label="Sample payload"
              value={sampleId}
              onChange={(e) => setSampleId(e.target.value)}
            >
              {samples.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.label}
                </option>
              ))}
            </select>
            <button type="button" className="idc-button" onClick={runDry} disabled={busy}>
              Dry run
            </button>
          </>
        )}
        {dryRun && (
          <button type="button" className="idc-button" onClick={clearDryRun}>
            Clear dry run
          </button>
        )}
        <button type="button" className="idc-button" onClick={exportDocument} disabled={!draft}>
          Export JSON
        </button>
        <button type="button" className="idc-button" onClick={() => importInput.current?.click()} disabled={readOnly}>
          Import JSON
        </button>
        <input
          ref={importInput}
          type="file"
          accept="application/json,.json"
          hidden
          aria-label="Import a workflow document"
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void importDocument(file);
            e.target.value = "";
          }}
        />
      </div>
      {publishing && (
        <div className="idc-publish">
          <label htmlFor="idc-publish-note">Change note (what changed and why)</label>
          <textarea id="idc-publish-note" className="idc-input" rows={2} value={note} onChange={(e) => setNote(e.target.value)} />
          <button type="button" className="idc-button idc-primary" onClick={publish} disabled={busy || !note.trim()}>
            Publish now
          </button>
        </div>
      )}
      {message && (
        <div className={`idc-message idc-${message.kind}`} role={message.kind === "error" ? "alert" : "status"} id="idc-message">
          {message.text}
          {message.stale && (
            <button type="button" className="idc-button" onClick={reload}>
              Reload the latest draft
            </button>
          )}
        </div>
      )}
      {graphIssues.length > 0 && (
        <ul className="idc-message idc-error" id="idc-graph-issues">
          {graphIssues.map((issue) => (
            <li key={issue}>{issue}</li>
          ))}
        </ul>
      )}
      <div className="idc-main">
        <nav className="idc-palette" aria-label="Block types">
          {palette.map((group) => (
            <section key={group.kind} data-kind={group.kind}>
              <h3>{group.label}</h3>
              {group.types.map((t) => (
                <div
                  key={t.type}
                  className={`idc-palette-item idc-kind-${t.kind}`}
                  draggable={!readOnly}
                  data-testid={`palette-${t.kind}-${t.type}`}
                  title={`Drag onto the canvas (${t.kind}/${t.type})`}
                  onDragStart={(e) => {
                    e.dataTransfer.setData(DRAG_TYPE, typeId(t.kind, t.type));
                    e.dataTransfer.effectAllowed = "move";
                  }}
                  onDoubleClick={() => !readOnly && addBlock(t, flow.screenToFlowPosition({ x: 400, y: 300 }))}
                >
                  {t.label}
                </div>
              ))}
            </section>
          ))}
        </nav>
        <div className="idc-canvas" onDragOver={(e) => e.preventDefault()} onDrop={onDrop}>
          <ReactFlow
            nodes={graph.nodes}
            edges={graph.edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onConnect={onConnect}
            onNodeDragStart={() => setHistory((h) => ({ ...h, past: [...h.past, h.present], future: [] }))}
            nodesDraggable={!readOnly}
            nodesConnectable={!readOnly}
            deleteKeyCode={["Backspace", "Delete"]}
            proOptions={{ hideAttribution: true }}
            minZoom={0.2}
          >
            <Background />
            <Controls />
            <MiniMap pannable zoomable />
          </ReactFlow>
        </div>
        {current ? (
          <SidePanel
            key={current.id}
            nodeId={current.id}
            data={current.data}
            blockType={currentType}
            api={api}
            sample={sample}
            readOnly={readOnly}
            keyTaken={(key) => graph.nodes.some((n) => n.id !== current.id && n.data.key === key)}
            onChange={(patch) => patchNode(current.id, patch)}
            onDelete={() =>
              commit((g) => ({
                nodes: g.nodes.filter((n) => n.id !== current.id),
                edges: g.edges.filter((e) => e.source !== current.id && e.target !== current.id),
              }))
            }
          />
        ) : (
          <aside className="idc-panel idc-panel-empty">
            {dryRun ? (
              <div id="idc-dry-run">
                <h2>Dry run: run {dryRun.run_id}</h2>
                <ol>
                  {dryRun.steps.map((step) => (
                    <li key={step.block} data-block={step.block}>
                      <code>{step.block}</code> → {step.outcome || step.state}
                      {step.would && <div className="idc-node-would">{step.would}</div>}
                      {step.error && <div className="idc-expression-error">{step.error}</div>}
                    </li>
                  ))}
                </ol>
              </div>
            ) : (
              <p>Select a block to edit it. Drag block types from the left onto the canvas; connect an outcome on a block's right edge to the next block.</p>
            )}
          </aside>
        )}
      </div>
    </div>
  );
}
