import { describe, expect, it } from "vitest";
import { AirbagError } from "../model/index.js";
import { parseDetections } from "./detection-input.js";

const one = {
  detector: "shell",
  id: "shell.exec",
  severity: "High",
  container: { id: "c1", name: "web", image: "nginx:1" },
};
const AT = "2026-01-01T00:00:00.000Z";

describe("parseDetections", () => {
  it("reads one object, an array, or JSON lines, filling defaults", () => {
    const [d] = parseDetections(JSON.stringify(one), "d.json", AT);
    expect(d).toEqual({
      ...one,
      severity: "high",
      kind: "runtime",
      title: "shell.exec",
      evidence: "",
      at: AT,
    });
    expect(
      parseDetections(JSON.stringify([one, { ...one, at: "2026-01-02T00:00:00Z" }]), "d.json", AT).map(
        (x) => x.at,
      ),
    ).toEqual([AT, "2026-01-02T00:00:00Z"]);
    expect(parseDetections(`${JSON.stringify(one)}\n\n${JSON.stringify(one)}\n`, "d.jsonl", AT)).toHaveLength(
      2,
    );
  });

  it("names the file and the entry for anything wrong", () => {
    const bad = (text: string) => {
      try {
        parseDetections(text, "d.json", AT);
      } catch (err) {
        expect(err).toBeInstanceOf(AirbagError);
        return (err as Error).message;
      }
      throw new Error("expected an error");
    };
    expect(bad(JSON.stringify([one, { ...one, container: { id: "c" } }]))).toBe(
      'd.json: [1]: container: "name" must be a non-empty string',
    );
    expect(bad(`${JSON.stringify(one)}\nnot json\n`)).toBe(
      "d.json:2: not JSON (expected a Detection, an array of them, or JSON lines)",
    );
    expect(bad(JSON.stringify({ ...one, at: "yesterday" }))).toBe('d.json: "at" must be an ISO-8601 time');
    expect(bad(JSON.stringify({ ...one, container: { ...one.container, labels: { a: 1 } } }))).toBe(
      'd.json: container: "labels" must map names to strings',
    );
    expect(bad("\n\n")).toBe("d.json: no detections in the file");
    expect(bad("42")).toBe("d.json: a detection must be a JSON object");
  });
});
