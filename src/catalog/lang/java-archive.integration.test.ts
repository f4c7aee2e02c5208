import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildImage, writeOciLayout } from "../../../test/support/image-builder.js";
import { openTarget, parseTarget, walkImage } from "../../image/index.js";
import { captureFor, catalogFiles, tapsFor } from "../index.js";
import { javaArchiveAnalyzer } from "./java-archive.js";
import { jarTool, pomProperties, writeTree, zipBuffer } from "./zip.testutil.js";

const tmp = mkdtempSync(join(tmpdir(), "java-image-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("java-archive through the real walker", () => {
  it("finds the war's own package and its WEB-INF/lib jars in the final image only", async () => {
    const lib = (g: string, a: string, v: string) =>
      zipBuffer([
        { name: "META-INF/MANIFEST.MF", data: "Manifest-Version: 1.0\n" },
        { name: `META-INF/maven/${g}/${a}/pom.properties`, data: pomProperties(g, a, v), descriptor: true },
      ]);
    const war = join(tmp, "war");
    writeTree(war, {
      "WEB-INF/web.xml": "<web-app/>",
      "META-INF/maven/com.example/shop/pom.properties": pomProperties("com.example", "shop", "1.4.0"),
      "WEB-INF/lib/log4j-core-2.14.1.jar": lib("org.apache.logging.log4j", "log4j-core", "2.14.1"),
      "WEB-INF/lib/commons-text-1.9.jar": lib("org.apache.commons", "commons-text", "1.9"),
    });
    jarTool(["cf", join(tmp, "shop.war"), "-C", war, "."], tmp);
    const img = await buildImage({
      layers: [
        {
          "usr/local/tomcat/webapps/ROOT.war": readFileSync(join(tmp, "shop.war")),
          "opt/old/removed-0.1.jar": lib("org.old", "removed", "0.1"),
        },
        { "opt/old/.wh.removed-0.1.jar": "" },
      ],
    });
    const dir = join(tmp, "oci");
    await writeOciLayout(dir, img);
    const list = [javaArchiveAnalyzer];
    const warnings: string[] = [];
    const src = await openTarget(await parseTarget(`oci:${dir}`));
    const walk = await walkImage(src, {
      capture: captureFor(list),
      streams: tapsFor(list),
      warn: (m) => warnings.push(m),
    });
    await src.close();
    const { packages } = await catalogFiles(walk, (m) => warnings.push(m), list);
    expect(warnings).toEqual([]);
    const layer = img.layers[0]!.diffId;
    expect(
      packages
        .map((p) => [p.purl, p.metadata?.nestedPath ?? "", p.locations])
        .sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    ).toEqual([
      ["pkg:maven/com.example/shop@1.4.0", "", [{ path: "usr/local/tomcat/webapps/ROOT.war", layer }]],
      [
        "pkg:maven/org.apache.commons/commons-text@1.9",
        "WEB-INF/lib/commons-text-1.9.jar",
        [{ path: "usr/local/tomcat/webapps/ROOT.war", layer }],
      ],
      [
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "WEB-INF/lib/log4j-core-2.14.1.jar",
        [{ path: "usr/local/tomcat/webapps/ROOT.war", layer }],
      ],
    ]);
    expect(packages.every((p) => p.ecosystem === "Maven" && p.type === "maven")).toBe(true);
  });
});
