import { describe, expect, it } from "vitest";
import { record, redo, start, undo } from "../src/history";

describe("undo/redo", () => {
  it("walks back and forth, and a new change drops the redo branch", () => {
    let h = start(1);
    h = record(h, 2);
    h = record(h, 3);
    h = undo(undo(h));
    expect(h.present).toBe(1);
    h = redo(h);
    expect(h.present).toBe(2);
    h = record(h, 9);
    expect(redo(h).present).toBe(9);
    expect(undo(h).present).toBe(2);
  });

  it("does nothing past either end", () => {
    expect(undo(start("a")).present).toBe("a");
    expect(redo(start("a")).present).toBe("a");
  });
});
