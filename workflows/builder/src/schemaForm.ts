// From a block type's JSON Schema to the side panel's form: which fields are expressions
// (checked against the server's CEL compiler as you type), which is the connector (a picker of
// connectors the user may use), and schema-less values (`{}`) shown as text you may start with
// "=" for an expression. Pure functions, so they are unit-tested without a browser.
import type { RJSFSchema, UiSchema } from "@rjsf/utils";
import type { BlockType, JsonObject } from "./types";

type SchemaNode = { [key: string]: any };

/** A copy of the schema the form can render: untyped values become strings, free-form
 * objects of a value field become string maps (each entry an expression or a literal). */
export function formSchema(blockType: BlockType): RJSFSchema {
  const schema = structuredClone(blockType.schema) as SchemaNode;
  schema.title = "";
  const props: SchemaNode = schema.properties ?? {};
  for (const [name, prop] of Object.entries(props)) {
    const isValue = blockType.value_fields.includes(name);
    props[name] = adapt(prop as SchemaNode, isValue);
    if (!props[name].title) props[name].title = humanize(name);
  }
  return schema as RJSFSchema;
}

function adapt(prop: SchemaNode, isValue: boolean): SchemaNode {
  if (Object.keys(prop).length === 0) return { type: "string" };
  if (prop.type === "object" && !prop.properties && isValue) {
    return { ...prop, additionalProperties: { type: "string" } };
  }
  if (prop.type === "object" && prop.properties) {
    const inner: SchemaNode = {};
    for (const [key, value] of Object.entries(prop.properties as SchemaNode)) {
      inner[key] = { title: humanize(key), ...adapt(value as SchemaNode, isValue) };
    }
    return { ...prop, properties: inner };
  }
  return prop;
}

export const humanize = (name: string): string =>
  name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

/** Free-form JSON objects that are not value fields (a trigger's sample payload). */
const isFreeJson = (prop: SchemaNode, isValue: boolean): boolean =>
  prop.type === "object" && !prop.properties && !isValue;

export function uiSchemaFor(blockType: BlockType): UiSchema {
  const ui: UiSchema = { "ui:submitButtonOptions": { norender: true } };
  const props: SchemaNode = (blockType.schema.properties as SchemaNode) ?? {};
  for (const [name, prop] of Object.entries(props)) {
    const isValue = blockType.value_fields.includes(name);
    if (blockType.connector && name === blockType.connector.field) {
      ui[name] = { "ui:widget": "connector" };
    } else if (blockType.expression_fields.includes(name)) {
      ui[name] = { "ui:widget": "expression", "ui:options": { mode: "expression" } };
    } else if (isFreeJson(prop as SchemaNode, isValue)) {
      ui[name] = { "ui:widget": "json", "ui:field": "jsonObject" };
    } else if (isValue) {
      ui[name] = valueUi(prop as SchemaNode);
    }
  }
  return ui;
}

function valueUi(prop: SchemaNode): UiSchema {
  const expression = { "ui:widget": "expression", "ui:options": { mode: "value" } };
  if (prop.type === "object" && prop.properties) {
    const inner: UiSchema = {};
    for (const key of Object.keys(prop.properties)) inner[key] = expression;
    return inner;
  }
  if (prop.type === "object") return { additionalProperties: expression };
  if (prop.type === "array") return { items: expression };
  if (prop.type === undefined || prop.type === "string") return expression;
  return {};
}

/** What to save from the form: fields the user cleared (undefined, null) are dropped, so an
 * optional field left blank is absent from the config rather than null. */
export function cleanConfig(value: unknown): JsonObject {
  const cleaned = prune(value);
  return (cleaned && typeof cleaned === "object" && !Array.isArray(cleaned) ? cleaned : {}) as JsonObject;
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(prune).filter((v) => v !== undefined);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const kept = prune(item);
      if (kept !== undefined) out[key] = kept;
    }
    return out;
  }
  if (value === null) return undefined;
  return value;
}
