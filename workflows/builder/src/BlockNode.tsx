// One block on the canvas: its label and type, an input handle (not on triggers), one output
// handle per outcome, and what validation or a dry run says about it.
import { Handle, Position } from "@xyflow/react";
import type { NodeProps } from "@xyflow/react";
import type { BlockNode as BlockNodeType } from "./mapping";

export function BlockNode({ data, selected }: NodeProps<BlockNodeType>) {
  const classes = [
    "idc-node",
    `idc-kind-${data.kind}`,
    selected ? "idc-selected" : "",
    data.issues.length ? "idc-has-issues" : "",
    data.onPath ? "idc-on-path" : "",
  ];
  return (
    <div className={classes.join(" ")} data-key={data.key} data-testid={`block-${data.key}`}>
      {data.kind !== "trigger" && <Handle type="target" position={Position.Left} className="idc-handle-in" />}
      <div className="idc-node-title">{data.label || data.key}</div>
      <div className="idc-node-type">
        {data.kind}/{data.type} · <code>{data.key}</code>
      </div>
      {data.would && <div className="idc-node-would">{data.would}</div>}
      {data.issues.map((issue) => (
        <div key={issue} className="idc-node-issue">
          {issue}
        </div>
      ))}
      <div className="idc-outcomes">
        {data.outcomes.map((outcome) => (
          <div key={outcome} className="idc-outcome" data-outcome={outcome}>
            <span>{outcome}</span>
            <Handle
              type="source"
              id={outcome}
              position={Position.Right}
              className="idc-handle-out"
              data-testid={`handle-${data.key}-${outcome}`}
            />
          </div>
        ))}
      </div>
    </div>
  );
}
