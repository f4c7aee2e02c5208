/**
 * A JSON parser that keeps what `JSON.parse` throws away: the line and column of every value and key,
 * and every duplicate key. daemon.json problems must be reported where they are, and a duplicate key
 * (which Go's decoder silently resolves as "last one wins") is a configuration mistake worth naming.
 * Grammar is RFC 8259, like Go's encoding/json: no comments, no trailing commas, no NaN.
 */

export interface JsonPosition {
  line: number;
  column: number;
}

export type JsonNode =
  | { kind: "object"; pos: JsonPosition; entries: JsonEntry[] }
  | { kind: "array"; pos: JsonPosition; items: JsonNode[] }
  | { kind: "string"; pos: JsonPosition; value: string }
  | { kind: "number"; pos: JsonPosition; value: number; raw: string }
  | { kind: "boolean"; pos: JsonPosition; value: boolean }
  | { kind: "null"; pos: JsonPosition; value: null };

export interface JsonEntry {
  key: string;
  keyPos: JsonPosition;
  value: JsonNode;
}

export interface JsonSyntaxError extends JsonPosition {
  message: string;
}

export type JsonParseResult = { ok: true; node: JsonNode } | { ok: false; error: JsonSyntaxError };

/** deeper documents are refused rather than risking the stack; no real daemon.json comes close */
const MAX_DEPTH = 512;

class SyntaxFailure extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
  }
}

const ESCAPES: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parse `text`; never throws. */
export function parseJsonWithPositions(text: string): JsonParseResult {
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const position = (at: number): JsonPosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= at) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: at - lineStarts[lo]! + 1 };
  };

  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const describe = (at: number) =>
    at >= text.length ? "end of input" : `character ${JSON.stringify(text[at])}`;
  const fail = (message: string, at = i): never => {
    throw new SyntaxFailure(message, at);
  };
  const skipSpace = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r") i++;
      else break;
    }
  };
  const expect = (c: string, what: string) => {
    if (text[i] !== c) fail(`expected ${what}, found ${describe(i)}`);
    i++;
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = "";
    let run = i;
    while (true) {
      if (i >= text.length) fail("unterminated string", start);
      const code = text.charCodeAt(i);
      if (code === 0x22) break;
      if (code < 0x20) fail("control character in string (escape it)");
      if (code !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(run, i);
      const e = text[i + 1];
      if (e === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("invalid \\u escape");
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else if (e !== undefined && ESCAPES[e] !== undefined) {
        out += ESCAPES[e];
        i += 2;
      } else fail(`invalid escape \\${e ?? ""}`);
      run = i;
    }
    out += text.slice(run, i);
    i++; // closing quote
    return out;
  };

  const parseValue = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`);
    skipSpace();
    const pos = position(i);
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: JsonEntry[] = [];
      skipSpace();
      if (text[i] === "}") {
        i++;
        return { kind: "object", pos, entries };
      }
      while (true) {
        skipSpace();
        if (text[i] !== '"') fail(`expected a quoted key, found ${describe(i)}`);
        const keyPos = position(i);
        const key = parseString();
        skipSpace();
        expect(":", '":" after key');
        const value = parseValue(depth + 1);
        entries.push({ key, keyPos, value });
        skipSpace();
        if (text[i] === ",") {
          i++;
          skipSpace();
          if (text[i] === "}") fail("trailing comma before }");
          continue;
        }
        expect("}", '"," or "}"');
        return { kind: "object", pos, entries };
      }
    }
    if (c === "[") {
      i++;
      const items: JsonNode[] = [];
      skipSpace();
      if (text[i] === "]") {
        i++;
        return { kind: "array", pos, items };
      }
      while (true) {
        items.push(parseValue(depth + 1));
        skipSpace();
        if (text[i] === ",") {
          i++;
          skipSpace();
          if (text[i] === "]") fail("trailing comma before ]");
          continue;
        }
        expect("]", '"," or "]"');
        return { kind: "array", pos, items };
      }
    }
    if (c === '"') return { kind: "string", pos, value: parseString() };
    for (const [word, value] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value === null ? { kind: "null", pos, value } : { kind: "boolean", pos, value };
      }
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0] !== "-") {
      i += m[0].length;
      return { kind: "number", pos, value: Number(m[0]), raw: m[0] };
    }
    return fail(`unexpected ${describe(i)}`);
  };

  try {
    const node = parseValue(0);
    skipSpace();
    if (i < text.length) fail(`unexpected ${describe(i)} after the document`);
    return { ok: true, node };
  } catch (err) {
    if (!(err instanceof SyntaxFailure)) throw err;
    return { ok: false, error: { message: err.message, ...position(err.at) } };
  }
}

/** The plain value, duplicate keys resolved the way Go's decoder does it: the last one wins. */
export function plainValue(node: JsonNode): unknown {
  switch (node.kind) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const e of node.entries) {
        Object.defineProperty(out, e.key, {
          value: plainValue(e.value),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    case "array":
      return node.items.map(plainValue);
    default:
      return node.value;
  }
}
