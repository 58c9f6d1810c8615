// The shapes the builder's API speaks (workflows/api/builder_serializers.py).
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface DocBlock {
  key: string;
  kind: string;
  type: string;
  label: string;
  config: JsonObject;
  position: { x: number; y: number };
}

export interface DocEdge {
  from: string;
  to: string;
  outcome: string;
}

export interface WorkflowDocument {
  format: string;
  workflow: { slug: string; name: string; description: string };
  blocks: DocBlock[];
  edges: DocEdge[];
}

export interface ConnectorNeed {
  field: string;
  operation: string;
  operation_field: string;
}

export interface BlockType {
  kind: string;
  type: string;
  label: string;
  effect: string;
  schema: JsonObject;
  outcomes: string[];
  required_outcomes: string[];
  expression_fields: string[];
  value_fields: string[];
  connector: ConnectorNeed | null;
}

export interface PaletteGroup {
  kind: string;
  label: string;
  types: BlockType[];
}

export interface Problem {
  message: string;
  block: string | null;
  edge: { from: string; outcome: string; to: string } | null;
}

export interface Draft {
  workflow: { id: number; slug: string; name: string };
  number: number;
  revision: string;
  document: WorkflowDocument;
  saved_by: string | null;
  saved_at: string | null;
  can: { change: boolean; publish: boolean; run: boolean };
}

export interface DryRunStep {
  block: string;
  kind: string;
  type: string;
  state: string;
  outcome: string;
  would: string;
  error: string;
}

export interface DryRun {
  run_id: number;
  state: string;
  reason: string;
  path: string[];
  edges: { from: string; outcome: string; to: string }[];
  steps: DryRunStep[];
}

export interface Sample {
  id: string;
  label: string;
  payload: JsonObject;
}

export interface ConnectorChoice {
  name: string;
  type: string;
  description: string;
  operations: string[];
  enabled: boolean;
  health: string;
}

export interface ExpressionResult {
  ok: boolean;
  error: string | null;
  position: number | null;
  preview: Json;
  preview_error: string | null;
}

export const typeId = (kind: string, type: string): string => `${kind}/${type}`;
