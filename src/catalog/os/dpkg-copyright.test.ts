import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { licensesFromCopyright, toSpdx } from "./dpkg-copyright.js";

const FIX = join(import.meta.dirname, "../../../test/fixtures/dpkg/copyright");
const fixture = (name: string) => readFileSync(join(FIX, name), "utf8");

describe("toSpdx", () => {
  it.each([
    ["GPL-2", "GPL-2.0-only"],
    ["GPL-2+", "GPL-2.0-or-later"],
    ["GPLv2+", "GPL-2.0-or-later"],
    ["GPL-3.0+", "GPL-3.0-or-later"],
    ["GPL-2.0-only", "GPL-2.0-only"],
    ["LGPL-2.1+", "LGPL-2.1-or-later"],
    ["LGPL-2", "LGPL-2.0-only"],
    ["AGPL-3+", "AGPL-3.0-or-later"],
    ["GFDL-1.3+", "GFDL-1.3-or-later"],
    ["Expat", "MIT"],
    ["BSD-3-clause", "BSD-3-Clause"],
    ["Apache-2.0", "Apache-2.0"],
    ["zlib", "Zlib"],
  ])("%s → %s", (name, spdx) => {
    expect(toSpdx(name)).toBe(spdx);
  });

  it.each(["GPL", "LGPL", "GPL-7", "public-domain", "permissive", "BSD-4-clause-POWERDOG"])(
    "%s has no confident SPDX id",
    (name) => {
      expect(toSpdx(name)).toBeUndefined();
    },
  );
});

describe("licensesFromCopyright on real copyright files", () => {
  it("DEP-5: License fields split into names, normalised where known, raw otherwise", () => {
    // zlib's file: `GPL-1+ or Artistic, and BSD-4-clause-POWERDOG`, `Zlib`, `Zlib,`
    expect(licensesFromCopyright(fixture("license-pattern-and-classifier"))).toEqual([
      "GPL-1.0-or-later",
      "Artistic-1.0-Perl",
      "BSD-4-clause-POWERDOG",
      "Zlib",
    ]);
  });

  it("DEP-5 from a distroless image (sqlite3)", () => {
    const text = readFileSync(join(FIX, "../distroless/usr/share/doc/libsqlite3-0/copyright"), "utf8");
    expect(licensesFromCopyright(text)).toEqual(["public-domain", "GPL-2.0-or-later"]);
  });

  it("free-form apt file: `License: GPLv2+` and a common-licenses reference", () => {
    expect(licensesFromCopyright(fixture("all-patterns"))).toEqual(["GPL-2.0-or-later"]);
  });

  it("free-form adduser file: FSF notice + /usr/share/common-licenses/GPL-2", () => {
    expect(licensesFromCopyright(fixture("common-license"))).toEqual(["GPL-2.0-or-later"]);
  });

  it("a file naming no licence yields nothing", () => {
    expect(licensesFromCopyright(fixture("no-license"))).toEqual([]);
  });
});

describe("licensesFromCopyright free-form heuristics", () => {
  it("a bare common-licenses reference without 'any later version' is -only", () => {
    expect(licensesFromCopyright("See /usr/share/common-licenses/GPL-2 for the full text.\n")).toEqual([
      "GPL-2.0-only",
    ]);
    expect(licensesFromCopyright("Licensed under /usr/share/common-licenses/Apache-2.0.\n")).toEqual([
      "Apache-2.0",
    ]);
  });

  it("unversioned GPL/LGPL symlink references are not guessed", () => {
    expect(
      licensesFromCopyright("see `/usr/share/common-licenses/GPL' and /usr/share/common-licenses/LGPL"),
    ).toEqual([]);
  });

  it("the LGPL notice wins over the generic 'any later version' guess", () => {
    const text = `This library is free software; you can redistribute it and/or modify it under the terms of the GNU
Lesser General Public License as published by the Free Software Foundation; either version 2.1 of
the License, or (at your option) any later version.

On Debian systems the LGPL can be found in /usr/share/common-licenses/LGPL-2.1.`;
    expect(licensesFromCopyright(text)).toEqual(["LGPL-2.1-or-later"]);
  });

  it("free-form `License:` prose is not taken as a licence name", () => {
    expect(licensesFromCopyright("License: This program is free software, do what you like\n")).toEqual([]);
  });

  it("CRLF and `with … exception` clauses", () => {
    const text =
      "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\r\n\r\nFiles: *\r\nCopyright: x\r\nLicense: GPL-2+ with OpenSSL exception\r\n";
    expect(licensesFromCopyright(text)).toEqual(["GPL-2.0-or-later"]);
  });

  it("never throws and returns short names on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.boolean(), (s, dep5) => {
        const text = dep5 ? `Format: https://x/copyright-format/1.0/\n\n${s}` : s;
        for (const l of licensesFromCopyright(text)) {
          expect(l.length).toBeGreaterThan(0);
          expect(l.length).toBeLessThanOrEqual(64);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("this machine's /usr/share/doc/*/copyright", () => {
  const docs = existsSync("/usr/share/doc")
    ? readdirSync("/usr/share/doc")
        .map((d) => `/usr/share/doc/${d}/copyright`)
        .filter((p) => existsSync(p))
    : [];
  it.skipIf(docs.length < 20)("finds licences for most packages and the DEP-5 ones always", () => {
    let found = 0;
    for (const p of docs) {
      const text = readFileSync(p, "utf8");
      const lic = licensesFromCopyright(text);
      if (lic.length) found++;
      for (const l of lic) expect(l, p).toMatch(/^\S{1,64}$/);
      const first = /^License:[ \t]*(\S[^\n]*)$/m.exec(text)?.[1];
      // a DEP-5 file whose first License field is a single short name must report it (or its SPDX id)
      if (/^Format:.*copyright-format/m.test(text) && first && /^[\w.+-]+$/.test(first)) {
        expect(lic, p).toContain(toSpdx(first) ?? first);
      }
    }
    expect(found / docs.length).toBeGreaterThan(0.7);
  });
});
