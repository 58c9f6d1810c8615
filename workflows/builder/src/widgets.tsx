// The side panel's own form widgets: an expression field checked as you type by the server's
// CEL compiler (error position marked, preview on the chosen sample), a connector picker
// limited to connectors the user may use for the operation, and a JSON object editor.
import { useEffect, useState } from "react";
import type { FieldProps, WidgetProps } from "@rjsf/utils";
import type { Api } from "./api";
import type { ConnectorChoice, ExpressionResult, Json } from "./types";

export interface FormContext {
  api: Api;
  sample: Json | undefined;
  operation: string;
}

const DEBOUNCE_MS = 300;

export const needsCheck = (text: string, mode: string): boolean =>
  text.trim() !== "" && (mode === "expression" || text.startsWith("=") || text.includes("{{"));

export function ExpressionWidget(props: WidgetProps) {
  const { id, value, onChange, onBlur, onFocus, disabled, readonly, options, formContext } = props;
  const context = formContext as FormContext;
  const mode = String(options.mode ?? "expression");
  const text = typeof value === "string" ? value : value == null ? "" : String(value);
  const [result, setResult] = useState<ExpressionResult | null>(null);
  const [failure, setFailure] = useState("");

  useEffect(() => {
    if (!needsCheck(text, mode)) {
      setResult(null);
      return;
    }
    let current = true;
    const timer = window.setTimeout(() => {
      context.api
        .check(text, mode, context.sample)
        .then((answer) => current && (setResult(answer), setFailure("")))
        .catch((error: Error) => current && setFailure(error.message));
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [text, mode, context.api, context.sample]);

  return (
    <div className="idc-expression">
      <input
        id={id}
        className="idc-input idc-code"
        value={text}
        disabled={disabled || readonly}
        spellCheck={false}
        placeholder={mode === "expression" ? "a CEL expression, e.g. event.worker.riskScore > 30" : "text, =expression or {{ template }}"}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
        onBlur={() => onBlur(id, text)}
        onFocus={() => onFocus(id, text)}
      />
      {result && !result.ok && (
        <div className="idc-expression-error" role="alert">
          <pre className="idc-caret">
            {text}
            {"\n"}
            {result.position ? `${" ".repeat(Math.max(result.position - 1, 0))}^` : ""}
          </pre>
          <span>
            {result.position ? `Column ${result.position}: ` : ""}
            {result.error}
          </span>
        </div>
      )}
      {result && result.ok && (
        <div className="idc-expression-ok">
          {result.preview_error
            ? `Compiles. Preview: ${result.preview_error}`
            : result.preview !== null
              ? `Preview: ${JSON.stringify(result.preview)}`
              : "Compiles."}
        </div>
      )}
      {failure && <div className="idc-expression-error">Could not check: {failure}</div>}
    </div>
  );
}

export function ConnectorWidget(props: WidgetProps) {
  const { id, value, onChange, disabled, readonly, formContext } = props;
  const context = formContext as FormContext;
  const [choices, setChoices] = useState<ConnectorChoice[] | null>(null);
  const [failure, setFailure] = useState("");
  useEffect(() => {
    let current = true;
    context.api
      .connectors(context.operation)
      .then((found) => current && setChoices(found))
      .catch((error: Error) => current && setFailure(error.message));
    return () => {
      current = false;
    };
  }, [context.api, context.operation]);
  const known = choices?.some((c) => c.name === value) ?? true;
  return (
    <div>
      <select
        id={id}
        className="idc-input"
        value={typeof value === "string" ? value : ""}
        disabled={disabled || readonly}
        onChange={(e) => onChange(e.target.value || undefined)}
      >
        <option value="">— choose a connector —</option>
        {!known && <option value={String(value)}>{String(value)} (not available to you)</option>}
        {(choices ?? []).map((c) => (
          <option key={c.name} value={c.name} disabled={!c.enabled}>
            {c.name} ({c.type}){c.enabled ? "" : ", disabled"}
          </option>
        ))}
      </select>
      {choices && !choices.length && (
        <div className="idc-help">
          No connector you may use supports {context.operation || "this operation"}.
        </div>
      )}
      {failure && <div className="idc-expression-error">{failure}</div>}
    </div>
  );
}

export function JsonObjectField(props: FieldProps) {
  const { formData, onChange, idSchema, schema, disabled, readonly } = props;
  const [text, setText] = useState(() => (formData === undefined ? "" : JSON.stringify(formData, null, 2)));
  const [error, setError] = useState("");
  const commit = () => {
    if (text.trim() === "") {
      setError("");
      onChange(undefined);
      return;
    }
    try {
      const parsed = JSON.parse(text);
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("must be a JSON object {...}");
      setError("");
      onChange(parsed);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div className="idc-field">
      <label htmlFor={idSchema.$id}>{schema.title}</label>
      {schema.description && <div className="idc-help">{schema.description}</div>}
      <textarea
        id={idSchema.$id}
        className="idc-input idc-code"
        rows={6}
        value={text}
        disabled={disabled || readonly}
        onChange={(e) => setText(e.target.value)}
        onBlur={commit}
      />
      {error && <div className="idc-expression-error">{error}</div>}
    </div>
  );
}
