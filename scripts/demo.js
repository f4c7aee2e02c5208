#!/usr/bin/env node
// `npm run demo`: assemble the bundled example image (examples/demo-image/layers/*: a real Debian 12
// minbase package database, a Go 1.19.8 binary, npm and PyPI packages) into an OCI layout, build a
// vulnerability database from the real advisories bundled in examples/demo-advisories/ (see
// docs/notice-demo.md for their sources), and scan the image with the built CLI. No network; nothing is
// written outside a temp dir, which is removed at the end. Then `airbag bench` runs offline on
// examples/demo-bench (a daemon.json, `docker inspect` output, runtime versions).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { buildDemoImage, demoAdvisoriesDir, repoRoot } from "./demo-image.js";

const cli = join(repoRoot, "dist/cli/main.js");
const out = mkdtempSync(join(tmpdir(), "airbag-demo-"));

/** Runs the CLI, echoing the command line first; stops the demo with the CLI's exit code on failure. */
function airbag(args, shown) {
  console.log(`\n$ airbag ${shown.join(" ")}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: "inherit" });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    rmSync(out, { recursive: true, force: true });
    process.exit(r.status ?? 2);
  }
}

/** Advisory records per top-level folder of examples/demo-advisories (one JSON/YAML file = one record). */
function recordCounts() {
  const counts = {};
  const walk = (dir, top) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), top ?? e.name);
      else if (top && /\.(json|ya?ml)$/.test(e.name)) counts[top] = (counts[top] ?? 0) + 1;
    }
  };
  walk(demoAdvisoriesDir, undefined);
  return counts;
}

try {
  const image = join(out, "image");
  mkdirSync(image);
  const { target, layers } = buildDemoImage(image);
  const db = join(out, "db.sqlite");
  const advisories = relative(process.cwd(), demoAdvisoriesDir) || ".";
  airbag(
    ["db", "import", demoAdvisoriesDir, "--db", db],
    ["db", "import", advisories, "--db", "demo.sqlite"],
  );
  airbag(["scan", target, "--db", db], ["scan", "oci:demo-image:demo", "--db", "demo.sqlite"]);
  const counts = recordCounts();
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  console.log(
    `\nScanned the demo image (${layers.length} layers: ${layers.map((l) => l.name).join(", ")}) against ` +
      `${total} real advisory records (${Object.entries(counts)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ")}), offline; the image and database were temporary and are removed.`,
  );
  // the CIS benchmark offline, as in CI: a daemon.json, saved `docker inspect` output of three
  // containers, and runtime versions (runc 1.0.0-rc6 is the CVE-2019-5736 release)
  const benchArgs = [
    "bench",
    "--daemon-json",
    "examples/demo-bench/daemon.json",
    "--inspect",
    "examples/demo-bench/containers.json",
    "--component",
    "runc=1.0.0-rc6",
    "--component",
    "docker=18.06.1-ce",
    "--include",
    "1.2.2,2,5.4,5.5,5.6,5.10,5.16,5.32",
  ];
  airbag(
    benchArgs.map((a) => (a.startsWith("examples/") ? join(repoRoot, a) : a)),
    benchArgs,
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
