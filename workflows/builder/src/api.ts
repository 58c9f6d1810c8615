// Calls to /api/v1/builder/ with the session cookie and the page's CSRF token. A refusal
// becomes an ApiError carrying the server's sentence and its per-block/per-edge problems.
import type {
  BlockType,
  ConnectorChoice,
  Draft,
  DryRun,
  ExpressionResult,
  Json,
  PaletteGroup,
  Problem,
  Sample,
  WorkflowDocument,
} from "./types";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly issues: Problem[] = [],
    readonly body: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function describe(body: Record<string, unknown>): string {
  if (typeof body.detail === "string") return body.detail;
  const parts = Object.entries(body).map(([field, value]) => `${field}: ${Array.isArray(value) ? value.join(" ") : JSON.stringify(value)}`);
  return parts.join("; ") || "The server refused the request.";
}

export class Api {
  constructor(
    private readonly root: string,
    private readonly csrfToken: string,
    private readonly workflowId: number,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(this.root + path, {
      method,
      credentials: "same-origin",
      headers: {
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...(method === "GET" ? {} : { "X-CSRFToken": this.csrfToken }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const data = (parsed && typeof parsed === "object" ? parsed : {}) as Record<string, unknown>;
      const issues = Array.isArray(data.issues) ? (data.issues as Problem[]) : [];
      throw new ApiError(describe(data) || `HTTP ${response.status}`, response.status, issues, data);
    }
    return parsed as T;
  }

  private get draftPath(): string {
    return `workflows/${this.workflowId}/draft/`;
  }

  draft = (): Promise<Draft> => this.call("GET", this.draftPath);
  save = (revision: string, document: WorkflowDocument): Promise<Draft> =>
    this.call("PUT", this.draftPath, { revision, document });
  validate = (document?: WorkflowDocument): Promise<{ ok: boolean; issues: Problem[] }> =>
    this.call("POST", `${this.draftPath}validate/`, document ? { document } : {});
  publish = (revision: string, note: string): Promise<{ number: number }> =>
    this.call("POST", `${this.draftPath}publish/`, { revision, note });
  dryRun = (input: Json): Promise<DryRun> => this.call("POST", `workflows/${this.workflowId}/dry-run/`, { input });
  palette = (): Promise<PaletteGroup[]> => this.call("GET", "block-types/");
  outcomes = (blockType: BlockType, config: Json): Promise<{ outcomes: string[]; required_outcomes: string[] }> =>
    this.call("POST", "block-types/outcomes/", { kind: blockType.kind, type: blockType.type, config });
  connectors = (operation: string): Promise<ConnectorChoice[]> =>
    this.call("GET", `connectors/${operation ? `?operation=${encodeURIComponent(operation)}` : ""}`);
  check = (source: string, mode: string, sample?: Json): Promise<ExpressionResult> =>
    this.call("POST", "expressions/check/", sample === undefined ? { source, mode } : { source, mode, sample });
  samples = (): Promise<Sample[]> => this.call("GET", `samples/?workflow=${this.workflowId}`);
}
