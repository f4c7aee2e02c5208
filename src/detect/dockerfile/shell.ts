/**
 * A small POSIX-shell tokenizer, enough to see *which commands* a RUN line (or an image history
 * `created_by`) runs and how they are connected — not an interpreter. Grepping `curl.*| sh` flags
 * `echo "curl x | sh"` and misses `curl x | sudo bash`; tokenising gets both right.
 *
 * Handled: quotes ('…', "…", $'…'), backslash escapes and line continuations, comments, `&&` `||` `;`
 * `&` `|` `|&`, newlines, subshells and groups (as separators), reserved words, redirections (their
 * target is not an argument), here-documents (bodies skipped), `$(…)`, backticks and `<(…)` (their
 * text is kept on the word and returned as `substitutions` so callers can parse it again).
 * Not handled: expansion of variables, aliases, functions, `case` patterns — rough by design.
 * Never throws: unterminated quotes or substitutions run to the end of the input.
 */

export interface ShellWord {
  /** text after quote removal; `$(…)`/`${…}` are kept literally */
  value: string;
  /** the word as written */
  raw: string;
  /** bodies of `$(…)`, backticks and `<(…)`/`>(…)` inside the word */
  substitutions: string[];
}

export interface SimpleCommand {
  /** words after leading assignments, without redirections */
  argv: ShellWord[];
  /** leading `NAME=value` words */
  assignments: ShellWord[];
  /** id of the pipeline this command is part of (unique within one parse) */
  pipeline: number;
  /** position within that pipeline (0 = first) */
  pipeIndex: number;
}

export interface ShellScript {
  commands: SimpleCommand[];
  /** commands grouped by pipeline, in order; a pipeline of one is a plain command */
  pipelines: SimpleCommand[][];
}

type Token = { kind: "word"; word: ShellWord } | { kind: "op"; op: string };

const OPERATORS = ["&&", "||", ";;", "|&", ";", "|", "&", "(", ")", "\n"];
const REDIRECTS = ["<<<", "<<-", "&>>", "<<", ">>", ">&", "<&", "&>", ">|", "<>", "<", ">"];
const RESERVED = new Set(["!", "{", "}", "if", "then", "else", "elif", "fi", "do", "done", "while", "until"]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;

/** Reads `open…close` with nesting and quotes, starting after `open`; returns [body, next index]. */
function balanced(s: string, i: number, open: string, close: string): [string, number] {
  const start = i;
  let depth = 1;
  while (i < s.length) {
    const c = s[i];
    if (c === "\\") i += 2;
    else if (c === "'") i = skipSingle(s, i + 1);
    else if (c === '"') i = skipDouble(s, i + 1);
    else if (c === open) {
      depth++;
      i++;
    } else if (c === close) {
      depth--;
      if (depth === 0) return [s.slice(start, i), i + 1];
      i++;
    } else i++;
  }
  return [s.slice(start), s.length];
}

function skipSingle(s: string, i: number): number {
  const end = s.indexOf("'", i);
  return end < 0 ? s.length : end + 1;
}

function skipDouble(s: string, i: number): number {
  while (i < s.length && s[i] !== '"') i += s[i] === "\\" ? 2 : 1;
  return Math.min(i + 1, s.length);
}

interface PendingHeredoc {
  delimiter: string;
  stripTabs: boolean;
}

/** Splits a script into words and operators. */
export function tokenize(script: string): Token[] {
  const s = script.replace(/\r\n?/g, "\n");
  const tokens: Token[] = [];
  const heredocs: PendingHeredoc[] = [];
  let i = 0;
  let expectHeredocWord: boolean | undefined; // strip-tabs flag of the `<<` awaiting its delimiter

  const pushWord = (w: ShellWord): void => {
    if (expectHeredocWord !== undefined) {
      heredocs.push({ delimiter: w.value, stripTabs: expectHeredocWord });
      expectHeredocWord = undefined;
    }
    tokens.push({ kind: "word", word: w });
  };

  while (i < s.length) {
    const c = s[i] as string;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === "\\" && s[i + 1] === "\n") {
      i += 2;
      continue;
    }
    if (c === "#") {
      while (i < s.length && s[i] !== "\n") i++;
      continue;
    }
    if (c === "\n") {
      tokens.push({ kind: "op", op: "\n" });
      i++;
      // here-document bodies start on the line after the operator
      while (heredocs.length) i = skipHeredocBody(s, i, heredocs.shift() as PendingHeredoc);
      continue;
    }
    // redirection, with an optional fd number: `2>&1`, `>/dev/null`, `<<EOF`
    const fd = /^\d*/.exec(s.slice(i, i + 4))?.[0] ?? "";
    const redirect = REDIRECTS.find((r) => s.startsWith(r, i + fd.length));
    // `<(…)` and `>(…)` are process substitutions: words, read below
    const processSubstitution = (redirect === "<" || redirect === ">") && s[i + fd.length + 1] === "(";
    if (redirect && !processSubstitution) {
      i += fd.length + redirect.length;
      tokens.push({ kind: "op", op: redirect });
      if (redirect === "<<" || redirect === "<<-") expectHeredocWord = redirect === "<<-";
      continue;
    }
    const op = OPERATORS.find((o) => s.startsWith(o, i));
    if (op) {
      tokens.push({ kind: "op", op });
      i += op.length;
      continue;
    }
    const [word, next] = readWord(s, i);
    pushWord(word);
    i = next;
  }
  return tokens;
}

function skipHeredocBody(s: string, i: number, h: PendingHeredoc): number {
  while (i < s.length) {
    let end = s.indexOf("\n", i);
    if (end < 0) end = s.length;
    let line = s.slice(i, end);
    if (h.stripTabs) line = line.replace(/^\t+/, "");
    i = end + 1;
    if (line === h.delimiter) return i;
  }
  return s.length;
}

const WORD_END = new Set([" ", "\t", "\n", ";", "&", "|", "(", ")", "<", ">"]);

function readWord(s: string, i: number): [ShellWord, number] {
  const start = i;
  let value = "";
  const substitutions: string[] = [];
  while (i < s.length) {
    const c = s[i] as string;
    if (WORD_END.has(c)) {
      // `<(…)` / `>(…)` process substitution is part of a word
      if ((c === "<" || c === ">") && s[i + 1] === "(") {
        const [body, next] = balanced(s, i + 2, "(", ")");
        substitutions.push(body);
        value += s.slice(i, next);
        i = next;
        continue;
      }
      break;
    }
    if (c === "\\") {
      if (s[i + 1] === "\n") i += 2;
      else {
        value += s[i + 1] ?? "";
        i += 2;
      }
    } else if (c === "'") {
      const end = skipSingle(s, i + 1);
      value += s.slice(i + 1, s[end - 1] === "'" ? end - 1 : end);
      i = end;
    } else if (c === "$" && s[i + 1] === "'") {
      const end = skipAnsiC(s, i + 2);
      value += unescapeAnsiC(s.slice(i + 2, s[end - 1] === "'" ? end - 1 : end));
      i = end;
    } else if (c === '"') {
      const [text, next] = readDouble(s, i + 1, substitutions);
      value += text;
      i = next;
    } else if (c === "$" && (s[i + 1] === "(" || s[i + 1] === "{")) {
      const [open, close] = s[i + 1] === "(" ? ["(", ")"] : ["{", "}"];
      const [body, next] = balanced(s, i + 2, open as string, close as string);
      if (open === "(" && !body.startsWith("(")) substitutions.push(body);
      value += s.slice(i, next);
      i = next;
    } else if (c === "`") {
      const end = s.indexOf("`", i + 1);
      const stop = end < 0 ? s.length : end + 1;
      substitutions.push(s.slice(i + 1, end < 0 ? s.length : end));
      value += s.slice(i, stop);
      i = stop;
    } else {
      value += c;
      i++;
    }
  }
  return [{ value, raw: s.slice(start, i), substitutions }, i];
}

function readDouble(s: string, i: number, substitutions: string[]): [string, number] {
  let text = "";
  while (i < s.length && s[i] !== '"') {
    const c = s[i] as string;
    if (c === "\\" && '$`"\\\n'.includes(s[i + 1] ?? "")) {
      if (s[i + 1] !== "\n") text += s[i + 1];
      i += 2;
    } else if (c === "$" && s[i + 1] === "(") {
      const [body, next] = balanced(s, i + 2, "(", ")");
      if (!body.startsWith("(")) substitutions.push(body);
      text += s.slice(i, next);
      i = next;
    } else if (c === "`") {
      const end = s.indexOf("`", i + 1);
      const stop = end < 0 ? s.length : end + 1;
      substitutions.push(s.slice(i + 1, end < 0 ? s.length : end));
      text += s.slice(i, stop);
      i = stop;
    } else {
      text += c;
      i++;
    }
  }
  return [text, Math.min(i + 1, s.length)];
}

function skipAnsiC(s: string, i: number): number {
  while (i < s.length && s[i] !== "'") i += s[i] === "\\" ? 2 : 1;
  return Math.min(i + 1, s.length);
}

function unescapeAnsiC(body: string): string {
  const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"' };
  return body.replace(/\\(.)/g, (_, ch: string) => map[ch] ?? `\\${ch}`);
}

/** Parses a script into simple commands grouped by pipeline. */
export function parseShell(script: string): ShellScript {
  const tokens = tokenize(script);
  const commands: SimpleCommand[] = [];
  const pipelines: SimpleCommand[][] = [];
  let pipeline: SimpleCommand[] = [];
  let words: ShellWord[] = [];
  let skipNext = false; // the word after a redirection operator is its target

  const endCommand = (): void => {
    const cmd = buildCommand(words, pipelines.length, pipeline.length);
    words = [];
    if (cmd) {
      pipeline.push(cmd);
      commands.push(cmd);
    }
  };
  const endPipeline = (): void => {
    endCommand();
    if (pipeline.length) pipelines.push(pipeline);
    pipeline = [];
  };

  for (const t of tokens) {
    if (t.kind === "word") {
      if (skipNext) skipNext = false;
      else words.push(t.word);
      continue;
    }
    if (REDIRECTS.includes(t.op)) {
      skipNext = true;
      continue;
    }
    if (t.op === "|" || t.op === "|&") endCommand();
    else endPipeline();
  }
  endPipeline();
  return { commands, pipelines };
}

function buildCommand(words: ShellWord[], pipeline: number, pipeIndex: number): SimpleCommand | undefined {
  let k = 0;
  // reserved words open compound commands; what follows them is a command of its own
  while (k < words.length && RESERVED.has((words[k] as ShellWord).raw)) k++;
  const assignments: ShellWord[] = [];
  while (k < words.length && ASSIGNMENT.test((words[k] as ShellWord).raw)) assignments.push(words[k++]!);
  const argv = words.slice(k);
  if (argv.length === 0 && assignments.length === 0) return undefined;
  return { argv, assignments, pipeline, pipeIndex };
}

/** argv values of a command, convenient for matching. */
export const args = (cmd: SimpleCommand): string[] => cmd.argv.map((w) => w.value);
