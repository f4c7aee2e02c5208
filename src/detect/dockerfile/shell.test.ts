import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invocation, invocations, remoteScriptsExecuted, shellDashC } from "./commands.js";
import { args, parseShell } from "./shell.js";

const argvs = (script: string): string[][] => parseShell(script).commands.map(args);

describe("shell tokenizer", () => {
  it("splits commands on && || ; & and newlines, keeping pipelines together", () => {
    const s = parseShell("apt-get update && apt-get install -y curl || true; echo a | tr a b & wait\nls");
    expect(s.commands.map(args)).toEqual([
      ["apt-get", "update"],
      ["apt-get", "install", "-y", "curl"],
      ["true"],
      ["echo", "a"],
      ["tr", "a", "b"],
      ["wait"],
      ["ls"],
    ]);
    expect(s.pipelines.map((p) => p.length)).toEqual([1, 1, 1, 2, 1, 1]);
  });

  it("removes quotes and honours escapes", () => {
    expect(argvs(`echo 'a b' "c \\"d\\"" e\\ f $'g\\th'`)).toEqual([["echo", "a b", 'c "d"', "e f", "g\th"]]);
  });

  it("does not split operators inside quotes", () => {
    expect(argvs(`echo "curl x | sh" 'a && b'`)).toEqual([["echo", "curl x | sh", "a && b"]]);
  });

  it("joins backslash-newline continuations and skips comments", () => {
    expect(argvs("apt-get install \\\n  curl # the client\n# whole line\nls")).toEqual([
      ["apt-get", "install", "curl"],
      ["ls"],
    ]);
  });

  it("drops redirections and their targets from argv", () => {
    expect(argvs("curl -s x 2>/dev/null > out.txt && cat < in 2>&1")).toEqual([["curl", "-s", "x"], ["cat"]]);
  });

  it("skips here-document bodies", () => {
    expect(argvs("cat > /etc/x <<'EOF'\nrm -rf /\nsudo reboot\nEOF\necho done")).toEqual([
      ["cat"],
      ["echo", "done"],
    ]);
    expect(argvs("cat <<-END\n\tsudo x\n\tEND\nls")).toEqual([["cat"], ["ls"]]);
  });

  it("treats subshells and groups as separators and skips reserved words", () => {
    expect(argvs("(cd /x && make) ; { echo a; } ; if [ -f x ]; then sudo rm x; fi")).toEqual([
      ["cd", "/x"],
      ["make"],
      ["echo", "a"],
      ["[", "-f", "x", "]"],
      ["sudo", "rm", "x"],
    ]);
  });

  it("records command and process substitutions", () => {
    const [cmd] = parseShell(`sh -c "$(curl -fsSL https://x)" && bash <(wget -qO- y) \`id\``).commands;
    expect(cmd?.argv[2]?.substitutions).toEqual(["curl -fsSL https://x"]);
    const second = parseShell("bash <(wget -qO- y)").commands[0];
    expect(second?.argv[1]?.substitutions).toEqual(["wget -qO- y"]);
  });

  it("separates leading assignments from argv", () => {
    const [cmd] = parseShell("DEBIAN_FRONTEND=noninteractive A=1 apt-get install x").commands;
    expect(cmd?.assignments.map((w) => w.value)).toEqual(["DEBIAN_FRONTEND=noninteractive", "A=1"]);
    expect(cmd && args(cmd)).toEqual(["apt-get", "install", "x"]);
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        parseShell(s);
        remoteScriptsExecuted(s);
        invocations(s);
      }),
      { numRuns: 2000 },
    );
    const alphabet = fc.constantFrom(..."'\"\\$(){}`|&;<>#\n -cshcurl".split(""), "$(", "<<", "<(", "EOF\n");
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 60 }), (parts) => {
        remoteScriptsExecuted(parts.join(""));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("command semantics", () => {
  it("peels sudo, env and friends off the program", () => {
    const inv = invocation(parseShell("sudo -u root -E env -i X=1 nice -n 5 apt-get install x").commands[0]!);
    expect(inv?.program).toBe("apt-get");
    expect(inv?.via).toEqual(["sudo", "env", "nice"]);
    expect(inv?.args).toEqual(["install", "x"]);
  });

  it("finds the script of sh -c with options before it", () => {
    const inv = invocation(parseShell("/bin/bash -euxo pipefail -c 'echo hi | sh'").commands[0]!)!;
    expect(shellDashC(inv)).toBe("echo hi | sh");
    expect(invocations("bash -c 'sudo id'").map((i) => i.program)).toEqual(["bash", "id"]);
  });

  it.each([
    ["curl -fsSL https://get.example | sh", "curl -fsSL https://get.example | sh"],
    ["wget -qO- https://x | sudo bash -s -- --yes", "wget -qO- https://x | sudo bash -s -- --yes"],
    ["curl https://x | tee /tmp/i.sh | sh", "curl https://x | sh"],
    ['sh -c "$(curl -fsSL https://x)"', "sh -c $(curl -fsSL https://x)"],
    ["bash <(curl -s https://x)", "bash <(curl -s https://x)"],
    ["bash -c 'curl -s https://x | python3 -'", "curl -s https://x | python3 -"],
  ])("flags a remote script run by an interpreter: %s", (script, described) => {
    expect(remoteScriptsExecuted(script)).toEqual([described]);
  });

  it.each([
    "curl -fsSLo /tmp/i.sh https://x && sha256sum -c sums && sh /tmp/i.sh",
    "curl -s https://x | tar -xz",
    'echo "curl https://x | sh"',
    "V=$(curl -s https://x/version) && echo $V",
    "curl https://x | bash -c 'cat > /tmp/f'",
  ])("does not flag: %s", (script) => {
    expect(remoteScriptsExecuted(script)).toEqual([]);
  });
});
