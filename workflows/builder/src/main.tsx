// Entry point: the admin page (workflows/templates/workflows/admin/builder.html) hands the
// workflow id, the API root and the CSRF token through data attributes; no inline script.
import "@xyflow/react/dist/style.css";
import "./styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Api } from "./api";
import { App } from "./App";
import { ErrorBoundary } from "./ErrorBoundary";

const root = document.getElementById("builder-root");
if (root) {
  const api = new Api(
    root.dataset.apiRoot ?? "/api/v1/builder/",
    root.dataset.csrfToken ?? "",
    Number(root.dataset.workflowId),
  );
  createRoot(root).render(
    <StrictMode>
      <ErrorBoundary>
        <App api={api} />
      </ErrorBoundary>
    </StrictMode>,
  );
}
