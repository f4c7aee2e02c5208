import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JsonObjectSplitter } from "./ndjson.js";

/** feed `text` cut at the given offsets (as bytes, so multi-byte characters are split too) */
function splitAt(text: string, cuts: number[]): unknown[] {
  const bytes = Buffer.from(text, "utf8");
  const s = new JsonObjectSplitter();
  const out: string[] = [];
  let from = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    if (c <= from || c >= bytes.length) continue;
    out.push(...s.push(bytes.subarray(from, c)));
    from = c;
  }
  out.push(...s.push(bytes.subarray(from)));
  return out.map((t) => JSON.parse(t));
}

const event = fc.record({
  Type: fc.constantFrom("container", "image", "network"),
  Action: fc.string(),
  Actor: fc.record({ ID: fc.string(), Attributes: fc.dictionary(fc.string(), fc.string()) }),
  time: fc.integer({ min: 0, max: 2 ** 31 }),
  nested: fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
});

describe("JsonObjectSplitter", () => {
  it("yields every object once, whatever the chunking and separators (property)", () => {
    fc.assert(
      fc.property(
        fc.array(event, { maxLength: 8 }),
        fc.constantFrom("\n", "", "\r\n", "\n\n"),
        fc.array(fc.nat({ max: 4000 }), { maxLength: 12 }),
        (events, sep, cuts) => {
          const text = events.map((e) => JSON.stringify(e) + sep).join("");
          expect(splitAt(text, cuts)).toEqual(events);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("keeps braces and quotes inside strings, and unicode split across chunks", () => {
    const e = { Action: 'exec_start: sh -c "echo }{ \\" ]["', name: "café ☕ 𝄞" };
    const text = `${JSON.stringify(e)}\n`;
    for (let cut = 1; cut < Buffer.byteLength(text); cut++) expect(splitAt(text, [cut])).toEqual([e]);
  });

  it("holds a partial object until its end arrives, and skips garbage between objects", () => {
    const s = new JsonObjectSplitter();
    expect(s.push('{"a":1}\n{"b":')).toEqual(['{"a":1}']);
    expect(s.push("[1,2")).toEqual([]);
    expect(s.push(']}garbage\n{"c":{}}')).toEqual(['{"b":[1,2]}', '{"c":{}}']);
  });

  it("reset() forgets a partial object from a lost connection", () => {
    const s = new JsonObjectSplitter();
    expect(s.push('{"lost":"hal')).toEqual([]);
    s.reset();
    expect(s.dropped).toBe(1);
    expect(s.push('{"next":true}')).toEqual(['{"next":true}']);
  });
});
