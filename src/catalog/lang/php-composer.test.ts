import { describe, expect, it } from "vitest";
import { assertNeverThrows, captured, fixture, run } from "./lockfile.testutil.js";
import { phpComposerInstalledAnalyzer as I } from "./php-composer-installed.js";
import { phpComposerLockAnalyzer as L } from "./php-composer-lock.js";

const INSTALLED = "var/www/app/vendor/composer/installed.json";

describe("php-composer-lock", () => {
  it("matches composer.lock outside vendor/", () => {
    expect(L.match("var/www/app/composer.lock")).toBe(true);
    expect(L.match("composer.lock")).toBe(true);
    expect(L.match("var/www/app/vendor/guzzlehttp/guzzle/composer.lock")).toBe(false);
    expect(L.match("var/www/app/composer.json")).toBe(false);
    expect(L.match("var/www/app/mycomposer.lock")).toBe(false);
  });

  it("trivy composer_happy.lock: versions as written, dev packages marked, licences", async () => {
    const { pkgs, warnings } = await run(L, [
      captured("app/composer.lock", fixture("php/composer_happy.lock")),
    ]);
    expect(warnings).toEqual([]);
    // `composer show --locked` lists these names and versions; `--no-dev` drops the two pear/ ones
    expect(pkgs.map((p) => [p.name, p.version, p.metadata?.dev ?? false, p.licenses])).toEqual([
      ["guzzlehttp/guzzle", "6.5.8", false, ["MIT"]],
      ["guzzlehttp/promises", "1.5.2", false, ["MIT"]],
      ["guzzlehttp/psr7", "1.9.0", false, ["MIT"]],
      ["pear/log", "1.13.3", true, ["MIT"]],
      ["pear/pear_exception", "v1.0.2", true, ["BSD-2-Clause"]],
      ["psr/http-message", "1.0.1", false, ["MIT"]],
      ["ralouphie/getallheaders", "3.0.3", false, ["MIT"]],
      ["symfony/polyfill-intl-idn", "v1.27.0", false, ["MIT"]],
      // license written as a plain string in the fixture
      ["symfony/polyfill-intl-normalizer", "v1.27.0", false, ["MIT"]],
      ["symfony/polyfill-php72", "v1.27.0", false, ["MIT or BSD-2-Clause"]],
    ]);
    expect(pkgs.find((p) => p.name === "symfony/polyfill-php72")).toMatchObject({
      ecosystem: "Packagist",
      type: "composer",
      purl: "pkg:composer/symfony/polyfill-php72@v1.27.0",
      locations: [{ path: "app/composer.lock", layer: "sha256:aa" }],
    });
  });

  it("a lock written by Composer 2.5 here (path repositories)", async () => {
    const { pkgs } = await run(L, [
      captured("composer.lock", fixture("php/composer2-project/composer.lock")),
    ]);
    expect(pkgs.map((p) => [p.purl, p.metadata?.dev ?? false])).toEqual([
      ["pkg:composer/acme/http@2.0.1", false],
      ["pkg:composer/acme/log@v1.4.2", false],
      ["pkg:composer/acme/testkit@0.3.0", true],
    ]);
  });

  it("bad input warns and keeps what parsed", async () => {
    const doc = {
      packages: [{ name: "a/b", version: "1.0" }, { name: "nons", version: "1" }, { name: "c/d" }, 7],
    };
    const { pkgs, warnings } = await run(L, [captured("composer.lock", JSON.stringify(doc))]);
    expect(pkgs.map((p) => p.purl)).toEqual(["pkg:composer/a/b@1.0"]);
    expect(warnings).toEqual([
      'php-composer-lock: composer.lock: skipped 3 package(s): invalid name "nons"; no name/version; not an object',
    ]);
    expect((await run(L, [captured("composer.lock", "{")])).warnings[0]).toMatch(/composer.lock: not JSON/);
    expect((await run(L, [captured("composer.lock", "[]")])).warnings).toEqual([
      "php-composer-lock: composer.lock: not a composer.lock object",
    ]);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(L, "composer.lock", [
      fixture("php/composer2-project/composer.lock").toString("latin1"),
    ]);
  });
});

describe("php-composer-installed", () => {
  it("matches <vendor-dir>/composer/installed.json", () => {
    expect(I.match(INSTALLED)).toBe(true);
    expect(I.match("app/lib/composer/installed.json")).toBe(true);
    expect(I.match("app/vendor/composer/installed.php")).toBe(false);
    expect(I.match("app/vendor/installed.json")).toBe(false);
  });

  it("Composer 2 file written by Composer 2.5 here: dev-package-names honoured", async () => {
    const { pkgs, warnings } = await run(I, [
      captured(INSTALLED, fixture("php/composer2-project/vendor/composer/installed.json")),
    ]);
    expect(warnings).toEqual([]);
    // `composer show -f json` after the install: acme/http 2.0.1, acme/log v1.4.2, acme/testkit 0.3.0
    expect(pkgs.map((p) => [p.name, p.version, p.licenses, p.metadata])).toEqual([
      ["acme/http", "2.0.1", ["Apache-2.0", "MIT"], undefined],
      ["acme/log", "v1.4.2", ["MIT"], undefined],
      ["acme/testkit", "0.3.0", ["BSD-3-Clause"], { dev: true }],
    ]);
    expect(pkgs[1]).toMatchObject({
      ecosystem: "Packagist",
      purl: "pkg:composer/acme/log@v1.4.2",
      locations: [{ path: INSTALLED, layer: "sha256:aa" }],
    });
  });

  it("Composer 1 file (a plain array): same packages, no dev information", async () => {
    const { pkgs, warnings } = await run(I, [captured(INSTALLED, fixture("php/installed-composer1.json"))]);
    expect(warnings).toEqual([]);
    expect(pkgs.map((p) => [p.purl, p.metadata])).toEqual([
      ["pkg:composer/acme/http@2.0.1", undefined],
      ["pkg:composer/acme/log@v1.4.2", undefined],
      ["pkg:composer/acme/testkit@0.3.0", undefined],
    ]);
  });

  it("other shapes warn", async () => {
    const { pkgs, warnings } = await run(I, [captured(INSTALLED, '{"dev": true}')]);
    expect(pkgs).toEqual([]);
    expect(warnings).toEqual([
      `php-composer-installed: ${INSTALLED}: neither a package list (Composer 1) nor an object with packages (Composer 2)`,
    ]);
  });

  it("never throws on arbitrary input", async () => {
    await assertNeverThrows(I, INSTALLED, [
      fixture("php/composer2-project/vendor/composer/installed.json").toString("latin1"),
      fixture("php/installed-composer1.json").toString("latin1"),
    ]);
  });
});
