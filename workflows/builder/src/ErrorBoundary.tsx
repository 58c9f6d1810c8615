// A bug in the canvas shows a sentence and keeps the page, instead of a blank screen.
import { Component } from "react";
import type { ReactNode } from "react";

export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  state = { error: null as Error | null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  render() {
    if (this.state.error) {
      return (
        <div className="idc-message idc-error" role="alert">
          The builder stopped: {this.state.error.message}. Your last saved draft is safe; reload the page.
        </div>
      );
    }
    return this.props.children;
  }
}
