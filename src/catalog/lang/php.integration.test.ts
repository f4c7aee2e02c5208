import { describe, expect, it } from "vitest";
import { catalogImage, fixture } from "./lockfile.testutil.js";
import { phpComposerInstalledAnalyzer } from "./php-composer-installed.js";
import { phpComposerLockAnalyzer } from "./php-composer-lock.js";

const APP = "var/www/html";

describe("php analyzers through the real walker", () => {
  it("installed.json and composer.lock of the final image; a library's own lock is ignored", async () => {
    const { packages, warnings, diffIds } = await catalogImage(
      [
        {
          [`${APP}/composer.lock`]: fixture("php/composer2-project/composer.lock"),
          [`${APP}/vendor/composer/installed.json`]: fixture("php/installed-composer1.json"),
          [`${APP}/vendor/guzzlehttp/guzzle/composer.lock`]: fixture("php/composer_happy.lock"),
        },
        // `composer install` again with Composer 2 rewrote installed.json
        {
          [`${APP}/vendor/composer/installed.json`]: fixture(
            "php/composer2-project/vendor/composer/installed.json",
          ),
        },
      ],
      [phpComposerInstalledAnalyzer, phpComposerLockAnalyzer],
    );
    expect(warnings).toEqual([]);
    const [l1, l2] = diffIds;
    expect(packages.map((p) => [p.purl, p.metadata?.dev ?? false, p.locations])).toEqual([
      ["pkg:composer/acme/http@2.0.1", false, [{ path: `${APP}/vendor/composer/installed.json`, layer: l2 }]],
      ["pkg:composer/acme/log@v1.4.2", false, [{ path: `${APP}/vendor/composer/installed.json`, layer: l2 }]],
      [
        "pkg:composer/acme/testkit@0.3.0",
        true,
        [{ path: `${APP}/vendor/composer/installed.json`, layer: l2 }],
      ],
      ["pkg:composer/acme/http@2.0.1", false, [{ path: `${APP}/composer.lock`, layer: l1 }]],
      ["pkg:composer/acme/log@v1.4.2", false, [{ path: `${APP}/composer.lock`, layer: l1 }]],
      ["pkg:composer/acme/testkit@0.3.0", true, [{ path: `${APP}/composer.lock`, layer: l1 }]],
    ]);
    expect(packages.every((p) => p.ecosystem === "Packagist" && p.type === "composer")).toBe(true);
  });
});
