// The side panel's form from a block type's schema: widgets chosen by the type's declared
// expression, value and connector fields; schema errors shown next to the field, no eval.
import { render, screen } from "@testing-library/react";
import Form from "@rjsf/core";
import { describe, expect, it } from "vitest";
import { cleanConfig, formSchema, uiSchemaFor } from "../src/schemaForm";
import type { BlockType } from "../src/types";
import { schemaErrors, validator } from "../src/validator";

const addGroupMember: BlockType = {
  kind: "action",
  type: "add_group_member",
  label: "Add group member",
  effect: "call",
  schema: {
    type: "object",
    properties: {
      connector: { type: "string", minLength: 1 },
      args: {
        type: "object",
        properties: { user: {}, group: {} },
        required: ["user", "group"],
        additionalProperties: false,
      },
    },
    required: ["connector", "args"],
    additionalProperties: false,
  },
  outcomes: ["next", "error"],
  required_outcomes: [],
  expression_fields: [],
  value_fields: ["args"],
  connector: { field: "connector", operation: "add_group_member", operation_field: "" },
};

const condition: BlockType = {
  ...addGroupMember,
  kind: "logic",
  type: "condition",
  schema: {
    type: "object",
    properties: { expression: { type: "string", minLength: 1 } },
    required: ["expression"],
    additionalProperties: false,
  },
  expression_fields: ["expression"],
  value_fields: [],
  connector: null,
};

const setValues: BlockType = {
  ...condition,
  type: "set",
  schema: { type: "object", properties: { values: { type: "object" } }, required: ["values"] },
  expression_fields: [],
  value_fields: ["values"],
};

const manual: BlockType = {
  ...condition,
  kind: "trigger",
  type: "manual",
  schema: { type: "object", properties: { sample: { type: "object", description: "an example input" } } },
  expression_fields: [],
};

describe("uiSchemaFor", () => {
  it("uses the connector picker and expression widgets the block type declares", () => {
    const ui = uiSchemaFor(addGroupMember);
    expect(ui.connector).toEqual({ "ui:widget": "connector" });
    expect(ui.args).toEqual({
      user: { "ui:widget": "expression", "ui:options": { mode: "value" } },
      group: { "ui:widget": "expression", "ui:options": { mode: "value" } },
    });
    expect(uiSchemaFor(condition).expression).toEqual({
      "ui:widget": "expression",
      "ui:options": { mode: "expression" },
    });
  });

  it("edits a value field's free object entry by entry, and a sample payload as JSON", () => {
    expect(uiSchemaFor(setValues).values).toEqual({
      additionalProperties: { "ui:widget": "expression", "ui:options": { mode: "value" } },
    });
    expect(uiSchemaFor(manual).sample).toEqual({ "ui:widget": "json", "ui:field": "jsonObject" });
  });
});

describe("formSchema", () => {
  it("turns schema-less values into text and titles every field", () => {
    const schema = formSchema(addGroupMember) as any;
    expect(schema.properties.args.properties.user).toEqual({ title: "User", type: "string" });
    expect(schema.properties.connector.title).toBe("Connector");
    expect(addGroupMember.schema.properties).not.toHaveProperty("connector.title"); // a copy
  });

  it("gives a value field's free object string entries", () => {
    expect((formSchema(setValues) as any).properties.values.additionalProperties).toEqual({ type: "string" });
  });
});

describe("the validator", () => {
  it("reports a missing required field at the field, without eval", () => {
    const errors = schemaErrors(formSchema(addGroupMember), { connector: "dir", args: { user: "=x" } });
    expect(errors).toEqual([
      expect.objectContaining({ name: "required", property: ".args.group", message: "is required" }),
    ]);
  });

  it("accepts a complete config and ignores fields rjsf left undefined", () => {
    const config = { connector: "dir", args: { user: "=person.user", group: "Staff" }, extra: undefined };
    expect(validator.validateFormData(config, formSchema(addGroupMember)).errors).toEqual([]);
    expect(validator.isValid(formSchema(condition), { expression: "x" }, formSchema(condition))).toBe(true);
  });

  it("renders the schema's errors next to the field in the form", () => {
    render(
      <Form schema={formSchema(condition)} uiSchema={uiSchemaFor(condition)} formData={{}} validator={validator} liveValidate showErrorList={false} widgets={{ expression: (p: any) => <input id={p.id} /> }}>
        <></>
      </Form>,
    );
    expect(screen.getByText("is required")).toBeTruthy();
  });
});

describe("cleanConfig", () => {
  it("drops cleared fields and keeps the rest", () => {
    expect(cleanConfig({ connector: "dir", args: { user: undefined, group: "Staff" }, note: null })).toEqual({
      connector: "dir",
      args: { group: "Staff" },
    });
  });
});
