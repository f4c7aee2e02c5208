import type { Package } from "../../model/index.js";
import type { Analyzer, AnalyzerContext, CapturedFile } from "../analyzer.js";
import { byPathNameVersion, decodeText, locationOf, pypiPackage } from "./python-common.js";

/**
 * Installed Python distributions: the core-metadata file of each one (RFC 822-style headers).
 *  - `<dir>/X.dist-info/METADATA` (wheels, pip, uv, poetry installs)
 *  - `<dir>/X.egg-info/PKG-INFO` (setuptools/distutils installs, `pip install -e` source trees)
 *  - `<dir>/X.egg-info` as a single file (distutils, Debian's python3-* packages)
 *  - `<dir>/X.egg/EGG-INFO/PKG-INFO` (unzipped eggs)
 * Zipped `.egg` files are not read: that needs a stream analyzer over the archive.
 *
 * Names are normalised per PEP 503 (what PyPI, OSV and the purl spec use). Licences: `License-Expression`
 * (PEP 639, already SPDX) alone when present; otherwise the `License` field when it is a short single line
 * (it often holds the whole licence text) plus the `License ::` classifiers, unambiguous ones as SPDX ids.
 */

export function isPythonMetadataPath(path: string): boolean {
  return (
    path.endsWith(".dist-info/METADATA") ||
    path.endsWith(".egg-info/PKG-INFO") ||
    path.endsWith(".egg-info") ||
    path.endsWith("EGG-INFO/PKG-INFO")
  );
}

/**
 * The header section as `email.parser` reads it: it ends at the first empty line (or the first line that is
 * neither `Key: value` nor a continuation); continuation lines (leading space/tab) join the previous value
 * with `\n`. Keys are lower-cased; repeated keys keep every value in order.
 */
export function parseCoreMetadata(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let last: { key: string; index: number } | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line === "") break;
    if (line[0] === " " || line[0] === "\t") {
      if (!last) break;
      const values = out.get(last.key)!;
      values[last.index] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) break;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = out.get(key) ?? [];
    values.push(value);
    out.set(key, values);
    last = { key, index: values.length - 1 };
  }
  return out;
}

/** Trove licence classifiers that name exactly one SPDX licence (others are kept as written). */
const CLASSIFIER_SPDX: Record<string, string> = {
  "MIT License": "MIT",
  "MIT No Attribution License (MIT-0)": "MIT-0",
  "ISC License (ISCL)": "ISC",
  "Python Software Foundation License": "PSF-2.0",
  "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
  "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
  "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
  "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
  "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
  "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
  "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
  "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
  "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
  "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
  "GNU Affero General Public License v3": "AGPL-3.0-only",
  "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
  "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
  "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
  "The Unlicense (Unlicense)": "Unlicense",
  "Universal Permissive License (UPL)": "UPL-1.0",
};

export function licensesOf(h: Map<string, string[]>): string[] {
  const expr = h.get("license-expression")?.[0];
  if (expr) return [expr];
  const out: string[] = [];
  const field = h.get("license")?.[0];
  // a multi-line or long value is the licence text itself, not a name
  if (field && !field.includes("\n") && field.length <= 120 && field.toUpperCase() !== "UNKNOWN") {
    out.push(field);
  }
  for (const c of h.get("classifier") ?? []) {
    const parts = c.split("::").map((s) => s.trim());
    if (parts[0] !== "License" || parts.length < 2) continue;
    const leaf = parts[parts.length - 1]!;
    if (parts.length === 2 && leaf === "OSI Approved") continue; // says nothing about which licence
    out.push(CLASSIFIER_SPDX[leaf] ?? leaf);
  }
  return [...new Set(out)];
}

function analyzeFile(file: CapturedFile, ctx: AnalyzerContext): Package | undefined {
  const h = parseCoreMetadata(decodeText(file.content));
  const name = h.get("name")?.[0];
  const version = h.get("version")?.[0];
  if (!name || !version) {
    ctx.warn(`python-installed: ${file.path}: skipped, no ${name ? "Version" : "Name"} header`);
    return undefined;
  }
  if (/\s/.test(name) || /\s/.test(version)) {
    ctx.warn(`python-installed: ${file.path}: skipped, invalid Name/Version`);
    return undefined;
  }
  return pypiPackage({ name, version, licenses: licensesOf(h) }, locationOf(file));
}

export const pythonInstalledAnalyzer: Analyzer = {
  name: "python-installed",
  version: 1,
  match: isPythonMetadataPath,
  // headers come first, but the description (the README) follows them in the same file
  maxFileSize: 16 * 1024 * 1024,
  analyze(files, ctx) {
    const out: Package[] = [];
    for (const f of files) {
      try {
        const p = analyzeFile(f, ctx);
        if (p) out.push(p);
      } catch (e) {
        ctx.warn(`python-installed: ${f.path}: unreadable (${(e as Error).message})`);
      }
    }
    return out.sort(byPathNameVersion);
  },
};
