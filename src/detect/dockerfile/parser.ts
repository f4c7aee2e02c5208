import {
  type Heredoc as AstHeredoc,
  type Instruction as AstInstruction,
  DockerfileParser,
} from "dockerfile-ast";
import { expandVariables } from "./expand.js";
import { type ImageRef, parseImageRef } from "./image-ref.js";

/**
 * Dockerfile → a small, plain model the lint rules fold over. `dockerfile-ast` (the parser behind
 * VS Code's Docker language server) finds instructions, directives, flags, properties and heredocs;
 * this file normalises what it leaves raw or gets wrong for analysis: continuation lines are joined
 * and comment lines inside them dropped (as BuildKit does), JSON (exec) form is decoded with
 * JSON.parse (the library's JSON strings lose inner spaces), heredoc bodies are cut out of the
 * command line, global ARGs are expanded in FROM, and stages are linked to their parents.
 *
 * Never throws: anything Docker would reject is returned in `errors`.
 */

export interface Flag {
  name: string;
  value: string | null;
}

export interface Heredoc {
  name: string;
  body: string;
  /** 1-based line of the first body line */
  line: number;
  terminated: boolean;
}

export interface KeyValue {
  name: string;
  value: string | null;
}

export interface Instruction {
  /** upper case: RUN, COPY, … */
  keyword: string;
  /** 1-based first and last line (heredoc bodies included) */
  line: number;
  endLine: number;
  /** argument text without flags: continuations joined, comment lines dropped, heredoc bodies cut */
  args: string;
  /** JSON (exec) form, when the arguments are a JSON array of strings */
  exec?: string[];
  flags: Flag[];
  heredocs: Heredoc[];
  /** ENV / ARG / LABEL key-value pairs */
  properties: KeyValue[];
  /** index of the build stage, -1 for ARGs before the first FROM */
  stage: number;
  /** an `ONBUILD` trigger (it runs in images built FROM this one) */
  onbuild: boolean;
}

export interface Stage {
  index: number;
  /** `AS name`, lower-cased like BuildKit does */
  name?: string;
  line: number;
  /** image after global ARG expansion */
  image: string;
  rawImage: string;
  /** the parsed reference, unless scratch, an earlier stage, or not fully resolved */
  ref?: ImageRef;
  /** FROM names an earlier stage */
  parent?: number;
  scratch: boolean;
  /** ARGs the image needs that have no default (supplied with --build-arg) */
  unresolved: string[];
  platform?: string;
  /** the stage's instructions, FROM first */
  instructions: Instruction[];
}

export interface ParseError {
  line: number;
  message: string;
}

export interface ParsedDockerfile {
  escape: string;
  /** the document's lines (no line terminators) */
  lines: string[];
  instructions: Instruction[];
  stages: Stage[];
  comments: { line: number; text: string }[];
  errors: ParseError[];
}

/** Every Dockerfile instruction keyword. */
export const DOCKERFILE_KEYWORDS: ReadonlySet<string> = new Set([
  "ADD",
  "ARG",
  "CMD",
  "COPY",
  "ENTRYPOINT",
  "ENV",
  "EXPOSE",
  "FROM",
  "HEALTHCHECK",
  "LABEL",
  "MAINTAINER",
  "ONBUILD",
  "RUN",
  "SHELL",
  "STOPSIGNAL",
  "USER",
  "VOLUME",
  "WORKDIR",
]);

export function parseDockerfile(text: string): ParsedDockerfile {
  const lines = text.split(/\r?\n/);
  const result: ParsedDockerfile = {
    escape: "\\",
    lines,
    instructions: [],
    stages: [],
    comments: [],
    errors: [],
  };
  try {
    const df = DockerfileParser.parse(text);
    result.escape = df.getEscapeCharacter();
    for (const ast of df.getInstructions()) {
      const ins = convert(ast, lines, result.escape, result.errors, false);
      if (ins) result.instructions.push(ins);
    }
  } catch (err) {
    // dockerfile-ast has not been seen to throw (see the property test); keep the promise anyway
    result.errors.push({ line: 1, message: `cannot parse: ${(err as Error).message}` });
  }
  result.comments = commentLines(lines, result.instructions);
  buildStages(result);
  if (result.stages.length === 0 && (result.instructions.length > 0 || result.errors.length > 0))
    result.errors.push({ line: result.instructions[0]?.line ?? 1, message: "no FROM instruction" });
  result.errors.sort((a, b) => a.line - b.line);
  return result;
}

function convert(
  ast: AstInstruction,
  lines: string[],
  escapeChar: string,
  errors: ParseError[],
  onbuild: boolean,
): Instruction | undefined {
  const keyword = ast.getKeyword().toUpperCase();
  const range = ast.getRange();
  const line = range.start.line + 1;
  if (!DOCKERFILE_KEYWORDS.has(keyword)) {
    errors.push({ line, message: `unknown instruction "${ast.getInstruction()}"` });
    return undefined;
  }
  if (keyword === "ONBUILD" && !onbuild) {
    const trigger = (
      ast as AstInstruction & { getTriggerInstruction(): AstInstruction | null }
    ).getTriggerInstruction();
    if (!trigger) {
      errors.push({ line, message: "ONBUILD needs an instruction" });
      return undefined;
    }
    if (["ONBUILD", "FROM", "MAINTAINER"].includes(trigger.getKeyword().toUpperCase())) {
      errors.push({ line, message: `ONBUILD ${trigger.getKeyword()} is not allowed` });
      return undefined;
    }
    return convert(trigger, lines, escapeChar, errors, true);
  }
  const heredocs = heredocsOf(ast, lines);
  for (const h of heredocs)
    if (!h.terminated) errors.push({ line, message: `heredoc <<${h.name} is never closed` });

  const argsRange = ast.getArgumentsRange();
  let args = "";
  if (argsRange) {
    // command line = from the first argument to the line before the first heredoc body
    const firstBody = Math.min(...heredocs.map((h) => h.line - 1), range.end.line + 1);
    const rawLines = lines.slice(argsRange.start.line, Math.max(firstBody, argsRange.start.line + 1));
    rawLines[0] = (rawLines[0] ?? "").slice(argsRange.start.character);
    args = joinContinuations(rawLines, escapeChar);
  }
  const flagged = ast as AstInstruction & { getFlags?(): { getName(): string; getValue(): string | null }[] };
  const props = ast as AstInstruction & {
    getProperties?(): { getName(): string; getValue(): string | null }[];
  };
  const ins: Instruction = {
    keyword,
    line,
    endLine: range.end.line + 1,
    args,
    flags: (flagged.getFlags?.() ?? []).map((f) => ({ name: f.getName(), value: f.getValue() })),
    heredocs,
    properties: ["ENV", "ARG", "LABEL"].includes(keyword)
      ? (props.getProperties?.() ?? []).map((p) => ({ name: p.getName(), value: p.getValue() }))
      : [],
    stage: -1,
    onbuild,
  };
  const exec = execForm(args);
  if (exec) ins.exec = exec;
  return ins;
}

function heredocsOf(ast: AstInstruction, lines: string[]): Heredoc[] {
  const withHeredocs = ast as AstInstruction & { getHeredocs?(): AstHeredoc[] };
  if (typeof withHeredocs.getHeredocs !== "function") return [];
  return withHeredocs.getHeredocs().map((h) => {
    const content = h.getContentRange();
    const delimiter = h.getDelimiterRange();
    const first = content?.start.line ?? delimiter?.start.line ?? h.getStartRange().end.line + 1;
    const last = content ? content.end.line : first - 1;
    // `<<-EOF` strips leading tabs from the body (dockerfile frontend, like the shell)
    const strip = /<<-/.test(lines[h.getStartRange().start.line] ?? "");
    let body = lines.slice(first, last + 1).join("\n");
    if (strip) body = body.replace(/^\t+/gm, "");
    return { name: h.getName(), body, line: first + 1, terminated: delimiter !== null };
  });
}

/**
 * Joins physical lines ending in the escape character. Inside a continued instruction, comment lines
 * and empty lines are dropped (BuildKit: "Empty continuation lines will become errors" — still
 * accepted today, so accepted here).
 */
export function joinContinuations(rawLines: string[], escapeChar: string): string {
  const continued = new RegExp(`${escapeChar === "`" ? "`" : "\\\\"}[ \\t]*$`);
  let out = "";
  for (const [i, line] of rawLines.entries()) {
    if (i > 0 && (/^\s*#/.test(line) || line.trim() === "")) continue;
    const m = continued.exec(line);
    if (m) out += line.slice(0, m.index);
    else out += i === rawLines.length - 1 ? line : `${line}\n`;
  }
  return out.trim();
}

/** Docker's rule: exec form when the arguments parse as a JSON array of strings. */
function execForm(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith("[")) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  } catch {
    /* shell form that happens to start with "[" */
  }
  return undefined;
}

function buildStages(df: ParsedDockerfile): void {
  const globalArgs = new Map<string, string | undefined>();
  let current: Stage | undefined;
  for (const ins of df.instructions) {
    if (ins.keyword === "FROM" && !ins.onbuild) {
      current = fromStage(ins, df, globalArgs);
      df.stages.push(current);
    } else if (!current) {
      if (ins.keyword === "ARG") {
        for (const p of ins.properties) globalArgs.set(p.name, p.value ?? globalArgs.get(p.name));
      } else df.errors.push({ line: ins.line, message: `${ins.keyword} before the first FROM` });
      continue;
    }
    ins.stage = current.index;
    current.instructions.push(ins);
  }
}

function fromStage(
  ins: Instruction,
  df: ParsedDockerfile,
  globalArgs: Map<string, string | undefined>,
): Stage {
  const words = ins.args.split(/\s+/).filter(Boolean);
  const rawImage = words[0] ?? "";
  let name: string | undefined;
  if (words.length === 3 && words[1]?.toUpperCase() === "AS") name = words[2]?.toLowerCase();
  else if (words.length > 1)
    df.errors.push({ line: ins.line, message: "FROM takes an image and an optional `AS name`" });
  const { text: image, unresolved } = expandVariables(rawImage, globalArgs, df.escape);
  const stage: Stage = {
    index: df.stages.length,
    line: ins.line,
    image,
    rawImage,
    scratch: image.toLowerCase() === "scratch",
    unresolved,
    instructions: [],
  };
  if (name) stage.name = name;
  const platform = ins.flags.find((f) => f.name === "platform")?.value;
  if (platform) stage.platform = platform;
  const parent = df.stages.find((s) => s.name !== undefined && s.name === image.toLowerCase());
  if (parent) stage.parent = parent.index;
  else if (!stage.scratch && unresolved.length === 0) {
    if (!image) df.errors.push({ line: ins.line, message: "FROM needs an image" });
    else {
      const ref = parseImageRef(image);
      if (ref) stage.ref = ref;
      else df.errors.push({ line: ins.line, message: `FROM: "${image}" is not a valid image reference` });
    }
  }
  return stage;
}

/**
 * Comment lines outside instructions (and their heredoc bodies). Read from the text rather than from
 * dockerfile-ast, which takes any leading `# word x=y` line for a parser directive — including
 * `# hadolint global ignore=DL3004`.
 */
function commentLines(lines: string[], instructions: Instruction[]): { line: number; text: string }[] {
  const inside = new Set<number>();
  for (const ins of instructions) for (let l = ins.line; l <= ins.endLine; l++) inside.add(l);
  const out: { line: number; text: string }[] = [];
  for (const [i, text] of lines.entries()) {
    const m = /^\s*#(.*)$/.exec(text);
    if (m && !inside.has(i + 1)) out.push({ line: i + 1, text: (m[1] ?? "").trim() });
  }
  return out;
}

/** Flag value of an instruction, e.g. `--from`. */
export const flag = (ins: Instruction, name: string): string | null | undefined =>
  ins.flags.find((f) => f.name === name)?.value;
