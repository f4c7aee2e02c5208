/**
 * Licence detection for Debian `usr/share/doc/<pkg>/copyright` files.
 *
 * - Machine-readable (DEP-5) files: the synopsis of every `License:` field, split on `or`/`and`/`,`
 *   expressions, normalised to SPDX ids where the Debian short name has an unambiguous SPDX
 *   equivalent (GPL-2+ → GPL-2.0-or-later, Expat → MIT, …); other short names are kept as written
 *   (e.g. `public-domain`, `BSD-4-clause-POWERDOG`). `with … exception` clauses are dropped.
 * - Free-form files: only cheap, confident signals — a `License:` line whose value maps to a known
 *   SPDX id, and references to `/usr/share/common-licenses/<X>` — otherwise nothing. A GPL-family
 *   reference becomes `-or-later` only when the text says "any later version".
 */

/** only the head is examined: DEP-5 headers and the main `Files: *` paragraph come first */
export const COPYRIGHT_SCAN_LIMIT = 256 * 1024;

const SIMPLE: Record<string, string> = {
  "apache-2": "Apache-2.0",
  "apache-2.0": "Apache-2.0",
  "apache 2.0": "Apache-2.0",
  "apache-1.1": "Apache-1.1",
  artistic: "Artistic-1.0-Perl",
  "artistic-1.0": "Artistic-1.0",
  "artistic-2.0": "Artistic-2.0",
  "artistic-2": "Artistic-2.0",
  bsd: "BSD-3-Clause", // /usr/share/common-licenses/BSD is the 3-clause licence
  "bsd-2-clause": "BSD-2-Clause",
  "bsd-3-clause": "BSD-3-Clause",
  "bsd-4-clause": "BSD-4-Clause",
  expat: "MIT",
  mit: "MIT",
  isc: "ISC",
  zlib: "Zlib",
  "cc0-1.0": "CC0-1.0",
  cc0: "CC0-1.0",
  "mpl-1.1": "MPL-1.1",
  "mpl-2.0": "MPL-2.0",
  "mpl-2": "MPL-2.0",
  "epl-1.0": "EPL-1.0",
  "epl-2.0": "EPL-2.0",
  "bsl-1.0": "BSL-1.0",
  "boost-1.0": "BSL-1.0",
  openssl: "OpenSSL",
  "python-2.0": "Python-2.0",
  "psf-2": "PSF-2.0",
  "zpl-2.1": "ZPL-2.1",
  "unicode-dfs-2016": "Unicode-DFS-2016",
  curl: "curl",
  x11: "X11",
  "ofl-1.1": "OFL-1.1",
  "sil-ofl-1.1": "OFL-1.1",
  "cc-by-4.0": "CC-BY-4.0",
  "cc-by-sa-4.0": "CC-BY-SA-4.0",
  "cc-by-3.0": "CC-BY-3.0",
  "cc-by-sa-3.0": "CC-BY-SA-3.0",
  wtfpl: "WTFPL",
  unlicense: "Unlicense",
  "0bsd": "0BSD",
};

// GPL family: GPL-2, GPL-2+, GPLv2+, GPL 2.0+, LGPL-2.1+, AGPL-3, GFDL-1.3+, GPL-2.0-or-later, …
const GNU = /^(a|l)?(gpl|gfdl|lgpl)[\s-]?v?(\d(?:\.\d)?)(\+|-or-later|-only|\s+or\s+later)?$/i;

/** Debian short name (or a common variant) → SPDX id; undefined when not confidently known. */
export function toSpdx(name: string): string | undefined {
  const n = name.trim().replace(/\s+/g, " ");
  const simple = SIMPLE[n.toLowerCase()];
  if (simple) return simple;
  const m = GNU.exec(n);
  if (!m) return undefined;
  const family = `${m[1] ?? ""}${m[2]}`.toUpperCase();
  let ver = m[3]!;
  if (!ver.includes(".")) ver = `${ver}.0`;
  const known = new Set([
    "GPL-1.0",
    "GPL-2.0",
    "GPL-3.0",
    "LGPL-2.0",
    "LGPL-2.1",
    "LGPL-3.0",
    "AGPL-3.0",
    "GFDL-1.1",
    "GFDL-1.2",
    "GFDL-1.3",
  ]);
  const base = `${family}-${ver}`;
  if (!known.has(base)) return undefined;
  return `${base}${m[4] && m[4] !== "-only" ? "-or-later" : "-only"}`;
}

// "GNU [Lesser|Library|Affero] General Public License as published by the Free Software Foundation; either
// version 2 of the License, or (at your option) any later version" / "… License version 2 as published …"
const GNU_NOTICE = new RegExp(
  [
    String.raw`GNU (Lesser |Library |Affero )?General Public License[^.;]{0,60}?[;,]? (?:either )?version (\d(?:\.\d)?)`,
    String.raw`(?: of the License)?,? or \(?at your option\)? any later version`,
    String.raw`|GNU (Lesser |Library |Affero )?General Public License,? version (\d(?:\.\d)?) as published`,
  ].join(""),
  "gi",
);

/** `GPL-1+ or Artistic, and BSD-4-clause` → [GPL-1+, Artistic, BSD-4-clause] */
function splitExpression(expr: string): string[] {
  return expr
    .replace(/\s+with\s+.*?exception\b/gi, "")
    .replace(/\s+or\s+(?:any\s+)?(?:later|newer)(?:\s+version)?\b/gi, "+")
    .split(/\s+or\s+|\s+and\s+|[,|&]|\s*;\s*/i)
    .map((s) =>
      s
        .trim()
        .replace(/^\(+|\)+$/g, "")
        .trim(),
    )
    .filter((s) => s.length > 0 && s.length <= 64 && !/\s{2,}/.test(s));
}

/** Licences named by one copyright file, deduplicated in order of first appearance. */
export function licensesFromCopyright(content: string): string[] {
  const text = content.slice(0, COPYRIGHT_SCAN_LIMIT).replace(/\r\n?/g, "\n");
  const dep5 = /^Format:\s*\S*copyright-format/im.test(text.slice(0, 2048));
  const out = new Set<string>();
  // field lines at column 0: `License: X` (continuation lines start with whitespace)
  for (const m of text.matchAll(/^License:[ \t]*(.*)$/gim)) {
    const value = m[1]!.trim();
    if (!value) continue;
    for (const name of splitExpression(value)) {
      const spdx = toSpdx(name);
      if (spdx) out.add(spdx);
      // free-form text may say "License: This program is …": keep only names that look like short names
      else if (dep5 && /^[A-Za-z0-9][\w.+-]*$/.test(name)) out.add(name);
    }
  }
  if (!dep5) {
    const flat = text.replace(/\s+/g, " ");
    const bases = new Set<string>();
    const add = (spdx: string | undefined) => {
      if (!spdx) return;
      out.add(spdx);
      bases.add(spdx.replace(/-(only|or-later)$/, ""));
    };
    // the FSF notice states the version and whether later versions apply
    for (const m of flat.matchAll(GNU_NOTICE)) {
      const word = m[1] ?? m[3];
      const family = word ? (/^aff/i.test(word) ? "AGPL" : "LGPL") : "GPL";
      add(toSpdx(`${family}-${m[2] ?? m[4]}${m[2] ? "+" : ""}`));
    }
    const laterVersion = /any later version/i.test(flat);
    for (const m of text.matchAll(
      /\/usr\/share\/common-licenses\/([A-Za-z0-9.+-]+?)(?=[^A-Za-z0-9.+-]|\.?$)/gm,
    )) {
      const ref = m[1]!.replace(/\.$/, "");
      // `GPL`, `LGPL` and `GFDL` are symlinks to the latest version: not a confident version
      if (/^(L)?GPL$/i.test(ref) || ref === "GFDL") continue;
      if (/^(L|A)?GPL|GFDL/i.test(ref)) {
        const base = toSpdx(ref)?.replace(/-only$/, "");
        if (!base || bases.has(base)) continue; // already known from the notice
        add(toSpdx(laterVersion ? `${ref}+` : ref));
      } else add(toSpdx(ref));
    }
  }
  return [...out];
}
