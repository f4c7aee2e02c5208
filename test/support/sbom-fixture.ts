/**
 * Shared by the SBOM format tests in src/report/: a realistic inventory (Debian packages with source
 * and licences, an Alpine apk, an rpm with epoch, scoped and plain npm packages), the copied
 * CycloneDX / SPDX JSON schemas, and an independent SPDX licence-expression checker.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { Ajv, ValidateFunction } from "ajv";
import type { FormatsPlugin } from "ajv-formats";
import { buildPurl, packageId } from "../../src/catalog/purl.js";
import type { Inventory, Package } from "../../src/model/index.js";
import { renderInventory } from "../../src/report/format.js";
import { spdxLicenseList } from "../../src/report/spdx.js";

const require = createRequire(import.meta.url);
export const addFormats = require("ajv-formats") as FormatsPlugin;
export const addDraft2019Formats = require("ajv-formats-draft2019") as (
  ajv: Ajv,
  o?: { formats: string[] },
) => Ajv;
export const schemaFixture = (f: string): unknown =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/schemas/${f}`, import.meta.url)), "utf8"));

// ----- a realistic inventory ------------------------------------------------------------------
export const LAYER1 = `sha256:${"1".repeat(64)}`;
export const LAYER2 = `sha256:${"2".repeat(64)}`;

function pkg(
  p: Omit<Package, "id" | "purl" | "locations"> & { purl: string; path: string; layer?: string },
): Package {
  const { path, layer, ...rest } = p;
  const loc = layer ? { path, layer } : { path };
  return { ...rest, id: packageId(p.purl, loc), locations: [loc] };
}
const deb = (name: string, version: string, licenses: string[], source?: Package["source"]): Package =>
  pkg({
    name,
    version,
    type: "deb",
    ecosystem: "Debian:12",
    arch: "amd64",
    licenses,
    path: "var/lib/dpkg/status",
    layer: LAYER1,
    ...(source ? { source } : {}),
    purl: buildPurl({
      type: "deb",
      namespace: "debian",
      name,
      version,
      qualifiers: { arch: "amd64", distro: "debian-12", ...(source ? { upstream: source.name } : {}) },
    }),
  });

export function inventory(): Inventory {
  return {
    schemaVersion: 1,
    target: {
      name: "registry.example/shop/api:1.4",
      kind: "docker-archive",
      digest: `sha256:${"a".repeat(64)}`,
      architecture: "amd64",
      layers: [{ diffId: LAYER1, size: 1024 }, { diffId: LAYER2 }],
      os: {
        family: "debian",
        version: "12",
        codename: "bookworm",
        ecosystem: "Debian:12",
        prettyName: "Debian GNU/Linux 12 (bookworm)",
      },
    },
    packages: [
      deb("libssl3", "3.0.11-1~deb12u2", ["Apache-2.0", "Artistic", "GPL-1+"], {
        name: "openssl",
        version: "3.0.11-1~deb12u2",
      }),
      deb("libc6", "2.36-9+deb12u3", ["LGPL-2.1+", "GPL-2+"], { name: "glibc", version: "2.36-9+deb12u3" }),
      deb("tzdata", "2024a-0+deb12u1", ["public-domain", "(MIT OR Apache-2.0)"]),
      deb(
        "openjdk-17-jre-headless",
        "17.0.11+9-1~deb12u1",
        ["GPL-2.0-only WITH Classpath-exception-2.0", "MIT"],
        {
          name: "openjdk-17",
          version: "17.0.11+9-1~deb12u1",
        },
      ),
      deb("libweird0", "1.0-1", ["MIT OR", "", "NOASSERTION", "bsd-3-clause", "MIT) AND (GPL-2.0-only"]),
      deb("base-files", "12.4+deb12u5", []),
      pkg({
        name: "busybox",
        version: "1.36.1-r15",
        type: "apk",
        ecosystem: "Alpine:v3.19",
        arch: "x86_64",
        licenses: ["GPL-2.0-only"],
        source: { name: "busybox" },
        path: "lib/apk/db/installed",
        layer: LAYER2,
        purl: buildPurl({
          type: "apk",
          namespace: "alpine",
          name: "busybox",
          version: "1.36.1-r15",
          qualifiers: { arch: "x86_64", distro: "alpine-3.19" },
        }),
      }),
      pkg({
        name: "openssl-libs",
        version: "1:3.0.7-27.el9",
        type: "rpm",
        ecosystem: "Red Hat",
        arch: "x86_64",
        licenses: ["ASL 2.0"],
        source: { name: "openssl", version: "3.0.7-27.el9" },
        metadata: { epoch: 1, vendor: "Red Hat, Inc." },
        path: "var/lib/rpm/rpmdb.sqlite",
        layer: LAYER2,
        purl: buildPurl({
          type: "rpm",
          namespace: "redhat",
          name: "openssl-libs",
          version: "3.0.7-27.el9",
          qualifiers: { arch: "x86_64", epoch: "1", distro: "rhel-9.3" },
        }),
      }),
      pkg({
        name: "@babel/core",
        version: "7.23.2",
        type: "npm",
        ecosystem: "npm",
        licenses: ["MIT"],
        path: "usr/lib/node_modules/@babel/core/package.json",
        layer: LAYER2,
        purl: buildPurl({ type: "npm", namespace: "@babel", name: "core", version: "7.23.2" }),
      }),
      pkg({
        name: "rc",
        version: "1.2.8",
        type: "npm",
        ecosystem: "npm",
        licenses: ["(BSD-2-Clause OR MIT OR Apache-2.0)"],
        path: "app/node_modules/rc/package.json",
        layer: LAYER2,
        purl: buildPurl({ type: "npm", name: "rc", version: "1.2.8" }),
      }),
      pkg({
        name: "acme-sdk",
        version: "2.0.0",
        type: "npm",
        ecosystem: "npm",
        licenses: ["LicenseRef-Acme-EULA"],
        path: "app/node_modules/acme-sdk/package.json",
        layer: LAYER2,
        purl: buildPurl({ type: "npm", name: "acme-sdk", version: "2.0.0" }),
      }),
    ],
    warnings: ["var/lib/dpkg/status.d/broken: no Package field, skipped"],
  };
}
export const NOW = new Date("2024-05-06T07:08:09.123Z");
export const OPTS = { color: false, now: NOW, toolVersion: "0.1.0-test" };
export const render = (format: string, inv = inventory(), opts = OPTS): string =>
  renderInventory(format, inv, opts);

export const explain = (v: ValidateFunction): string => JSON.stringify(v.errors?.slice(0, 5), null, 1);

// Independent SPDX-expression checker for the output: every word is an operator, a listed licence or
// exception id, or a LicenseRef declared in the document; parentheses balance.
export function isValidSpdxExpression(expr: string, declaredRefs: Set<string>): boolean {
  if (expr === "NOASSERTION" || expr === "NONE") return true;
  const { licenses, exceptions } = spdxLicenseList();
  let depth = 0;
  let expectOperand = true;
  for (const tok of expr.match(/\(|\)|[^\s()]+/g) ?? []) {
    if (tok === "(") {
      if (!expectOperand) return false;
      depth++;
      continue;
    }
    if (tok === ")") {
      if (expectOperand || --depth < 0) return false;
      continue;
    }
    if (tok === "AND" || tok === "OR" || tok === "WITH") {
      if (expectOperand) return false;
      expectOperand = true;
      continue;
    }
    const id = tok.endsWith("+") ? tok.slice(0, -1) : tok;
    if (!expectOperand || !(licenses.has(id) || exceptions.has(id) || declaredRefs.has(tok))) return false;
    expectOperand = false;
  }
  return depth === 0 && !expectOperand;
}
