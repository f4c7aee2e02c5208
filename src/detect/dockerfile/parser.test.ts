// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Dockerfile ${VAR} syntax in test data, not templates
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expandVariables } from "./expand.js";
import { floatingTag, parseImageRef } from "./image-ref.js";
import { flag, parseDockerfile } from "./parser.js";

const df = (lines: string[]) => parseDockerfile(lines.join("\n"));

describe("Dockerfile parser", () => {
  it("expands global ARGs in FROM, with defaults and ${VAR:-x}", () => {
    const d = df([
      "ARG BASE=debian:12",
      "ARG VARIANT",
      "FROM ${BASE} AS build",
      "FROM $BASE",
      "FROM python:${PY:-3.12}-slim",
      "FROM node:${VARIANT}",
    ]);
    expect(d.errors).toEqual([]);
    expect(d.stages.map((s) => s.image)).toEqual(["debian:12", "debian:12", "python:3.12-slim", "node:"]);
    expect(d.stages[0]?.ref).toEqual({ repository: "debian", tag: "12" });
    expect(d.stages[0]?.name).toBe("build");
    // VARIANT has no default: the real image comes from --build-arg, so it is not judged
    expect(d.stages[3]?.unresolved).toEqual(["VARIANT"]);
    expect(d.stages[3]?.ref).toBeUndefined();
  });

  it("links multi-stage builds: FROM <stage>, COPY --from", () => {
    const d = df([
      "FROM golang:1.22 AS Build",
      "RUN go build",
      "FROM build AS test",
      "FROM scratch",
      "COPY --from=build /app /app",
    ]);
    expect(d.stages.map((s) => [s.name, s.parent, s.scratch])).toEqual([
      ["build", undefined, false],
      ["test", 0, false],
      [undefined, undefined, true],
    ]);
    const copy = d.stages[2]?.instructions[1];
    expect(copy?.keyword).toBe("COPY");
    expect(copy && flag(copy, "from")).toBe("build");
  });

  it("joins continuation lines and drops comment lines inside them", () => {
    const d = df([
      "FROM debian:12",
      "RUN apt-get update && \\",
      "    # a note",
      "",
      "    apt-get install -y \\  ",
      "      curl",
      "USER app",
    ]);
    const run = d.instructions[1]!;
    expect(run.args).toBe("apt-get update &&     apt-get install -y       curl");
    expect([run.line, run.endLine]).toEqual([2, 6]);
    expect(d.instructions[2]?.line).toBe(7);
  });

  it("honours the escape directive (backtick, Windows style)", () => {
    const d = df([
      "# escape=`",
      "FROM mcr.microsoft.com/windows/servercore:ltsc2022",
      "RUN dir `",
      "    c:\\ ",
    ]);
    expect(d.escape).toBe("`");
    expect(d.instructions[1]?.args).toBe("dir     c:\\");
    expect(d.stages[0]?.ref?.registry).toBe("mcr.microsoft.com");
  });

  it("separates heredoc bodies from the command line", () => {
    const d = df([
      "FROM debian:12",
      "RUN <<EOF",
      "set -e",
      "curl -s https://x | sh",
      "EOF",
      "RUN <<-A <<B bash",
      "\techo one",
      "\tA",
      "echo two",
      "B",
      "COPY <<EOF /etc/motd",
      "hello",
      "EOF",
      "USER app",
    ]);
    const [, r1, r2, copy, user] = d.instructions;
    expect(r1?.args).toBe("<<EOF");
    expect(r1?.heredocs).toEqual([
      { name: "EOF", body: "set -e\ncurl -s https://x | sh", line: 3, terminated: true },
    ]);
    expect(r2?.args).toBe("<<-A <<B bash");
    expect(r2?.heredocs.map((h) => h.body)).toEqual(["echo one", "echo two"]);
    expect(copy?.heredocs[0]?.body).toBe("hello");
    expect(user?.line).toBe(14);
    expect(d.errors).toEqual([]);
  });

  it("reports an unclosed heredoc instead of throwing", () => {
    const d = df(["FROM debian:12", "RUN <<EOF", "echo hi"]);
    expect(d.errors).toEqual([{ line: 2, message: "heredoc <<EOF is never closed" }]);
  });

  it("decodes JSON (exec) form and keeps shell form otherwise", () => {
    const d = df([
      "FROM a:1",
      'CMD ["sh", "-c", "echo hi there"]',
      "CMD [not json",
      'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
    ]);
    expect(d.instructions[1]?.exec).toEqual(["sh", "-c", "echo hi there"]);
    expect(d.instructions[2]?.exec).toBeUndefined();
    expect(d.instructions[3]?.exec).toEqual(["/bin/bash", "-o", "pipefail", "-c"]);
  });

  it("reads ENV/ARG properties, flags, comments and ONBUILD triggers", () => {
    const d = df([
      "FROM a:1",
      "# a comment",
      'ENV A=1 B="two words"',
      "ENV C 3 4",
      "RUN --mount=type=cache,target=/root/.cache --network=none pip install x",
      "onbuild run sudo make",
    ]);
    expect(d.instructions[1]?.properties).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "two words" },
    ]);
    expect(d.instructions[2]?.properties).toEqual([{ name: "C", value: "3 4" }]);
    expect(d.instructions[3]?.flags.map((f) => f.name)).toEqual(["mount", "network"]);
    expect(d.instructions[3]?.args).toBe("pip install x");
    expect(d.comments).toEqual([{ line: 2, text: "a comment" }]);
    expect(d.instructions[4]).toMatchObject({ keyword: "RUN", args: "sudo make", onbuild: true, line: 6 });
  });

  it("reports what Docker would reject", () => {
    const d = df(["RUN echo before", "FROM", "FROM a:1 AS", "FRM a", "FROM Not_Valid::x"]);
    expect(d.errors.map((e) => [e.line, e.message])).toEqual([
      [1, "RUN before the first FROM"],
      [2, "FROM needs an image"],
      [3, "FROM takes an image and an optional `AS name`"],
      [4, 'unknown instruction "FRM"'],
      [5, 'FROM: "Not_Valid::x" is not a valid image reference'],
    ]);
    expect(parseDockerfile("# only a comment\n").errors).toEqual([]);
    expect(parseDockerfile("RUN x").errors.map((e) => e.message)).toContain("no FROM instruction");
  });

  it("handles CRLF line endings", () => {
    const d = parseDockerfile("FROM a:1\r\nRUN echo 1 && \\\r\n  echo 2\r\nUSER app\r\n");
    expect(d.instructions[1]?.args).toBe("echo 1 &&   echo 2");
    expect(d.instructions[2]?.line).toBe(4);
  });

  it("never throws on arbitrary text (errors are returned)", () => {
    const pieces = fc.constantFrom(
      "FROM ",
      "RUN ",
      "ARG ",
      "ONBUILD ",
      "COPY --from=",
      "<<EOF",
      "EOF",
      "\n",
      "\r\n",
      "\\",
      "`",
      "# escape=`\n",
      "#",
      "${",
      "}",
      "$",
      "[",
      "]",
      '"',
      " AS ",
      "a",
      ":",
      "@sha256:",
      "=",
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.array(pieces, { maxLength: 80 }).map((a) => a.join("")),
        ),
        (text) => {
          const d = parseDockerfile(text);
          expect(Array.isArray(d.errors)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("variable expansion", () => {
  const vars = new Map<string, string | undefined>([
    ["A", "x"],
    ["E", ""],
    ["U", undefined],
  ]);
  it.each([
    ["$A-${A}", "x-x", []],
    ["${E:-d}/${E-d}", "d/", []],
    ["${A:+alt}${U:+alt}", "alt", []],
    ["\\$A", "$A", []],
    ["${U}$MISSING", "", ["U", "MISSING"]],
  ])("%s → %s", (text, expected, unresolved) => {
    expect(expandVariables(text, vars)).toEqual({ text: expected, unresolved });
  });
});

describe("image references", () => {
  it.each([
    ["debian", { repository: "debian" }, "untagged"],
    ["debian:latest", { repository: "debian", tag: "latest" }, "latest"],
    [
      "localhost:5000/team/app:1.2",
      { registry: "localhost:5000", repository: "team/app", tag: "1.2" },
      undefined,
    ],
    [
      `ghcr.io/o/r@sha256:${"a".repeat(64)}`,
      { registry: "ghcr.io", repository: "o/r", digest: `sha256:${"a".repeat(64)}` },
      undefined,
    ],
    [
      `nginx:latest@sha256:${"b".repeat(64)}`,
      { repository: "nginx", tag: "latest", digest: `sha256:${"b".repeat(64)}` },
      undefined,
    ],
  ])("%s", (text, ref, floating) => {
    const parsed = parseImageRef(text);
    expect(parsed).toEqual(ref);
    expect(parsed && floatingTag(parsed)).toBe(floating);
  });

  it("rejects what is not a reference", () => {
    for (const bad of ["", "UPPER/case", "a::b", "a@sha256:short", "/abs/path"])
      expect(parseImageRef(bad)).toBeUndefined();
  });
});
