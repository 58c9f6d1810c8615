// The selected block's settings: key, label, and its config as a form generated from the block
// type's JSON Schema (server-side registry), with expression and connector widgets.
import Form from "@rjsf/core";
import type { IChangeEvent } from "@rjsf/core";
import { useMemo } from "react";
import type { Api } from "./api";
import type { BlockData } from "./mapping";
import { cleanConfig, formSchema, uiSchemaFor } from "./schemaForm";
import type { BlockType, Json, JsonObject } from "./types";
import { validator } from "./validator";
import { ConnectorWidget, ExpressionWidget, JsonObjectField } from "./widgets";
import type { FormContext } from "./widgets";

const widgets = { expression: ExpressionWidget, connector: ConnectorWidget };
const fields = { jsonObject: JsonObjectField };
const KEY_PATTERN = /^[a-z_][a-z0-9_]{0,63}$/;

interface Props {
  nodeId: string;
  data: BlockData;
  blockType: BlockType | undefined;
  api: Api;
  sample: Json | undefined;
  readOnly: boolean;
  keyTaken: (key: string) => boolean;
  onChange: (patch: Partial<BlockData>) => void;
  onDelete: () => void;
}

export function operationOf(blockType: BlockType, config: JsonObject): string {
  const need = blockType.connector;
  if (!need) return "";
  if (need.operation) return need.operation;
  const chosen = config[need.operation_field];
  return typeof chosen === "string" ? chosen : "";
}

export function SidePanel({ nodeId, data, blockType, api, sample, readOnly, keyTaken, onChange, onDelete }: Props) {
  const schema = useMemo(() => (blockType ? formSchema(blockType) : null), [blockType]);
  const uiSchema = useMemo(() => (blockType ? uiSchemaFor(blockType) : {}), [blockType]);
  const keyProblem = !KEY_PATTERN.test(data.key)
    ? "lowercase letters, digits and _"
    : keyTaken(data.key)
      ? "another block has this key"
      : "";
  const context: FormContext = {
    api,
    sample,
    operation: blockType ? operationOf(blockType, data.config) : "",
  };
  return (
    <aside className="idc-panel" aria-label="Block settings" data-node={nodeId}>
      <h2>{blockType?.label ?? `${data.kind}/${data.type}`}</h2>
      <div className="idc-field">
        <label htmlFor="idc-block-key">Key</label>
        <input
          id="idc-block-key"
          className="idc-input idc-code"
          value={data.key}
          disabled={readOnly}
          onChange={(e) => onChange({ key: e.target.value })}
        />
        {keyProblem && <div className="idc-expression-error">Key: {keyProblem}</div>}
        <div className="idc-help">Later blocks read this block's output as {data.key || "key"}.field</div>
      </div>
      <div className="idc-field">
        <label htmlFor="idc-block-label">Label</label>
        <input
          id="idc-block-label"
          className="idc-input"
          value={data.label}
          disabled={readOnly}
          onChange={(e) => onChange({ label: e.target.value })}
        />
      </div>
      {schema && blockType ? (
        <Form
          key={nodeId}
          schema={schema}
          uiSchema={uiSchema}
          formData={data.config}
          validator={validator}
          widgets={widgets}
          fields={fields}
          formContext={context}
          disabled={readOnly}
          liveValidate
          showErrorList={false}
          onChange={(event: IChangeEvent) => onChange({ config: cleanConfig(event.formData) })}
        >
          <></>
        </Form>
      ) : (
        <p className="idc-expression-error">Unknown block type {data.kind}/{data.type}: the server does not offer it.</p>
      )}
      {!readOnly && (
        <button type="button" className="idc-button idc-danger" onClick={onDelete}>
          Delete block
        </button>
      )}
    </aside>
  );
}
