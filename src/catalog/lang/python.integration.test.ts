import { describe, expect, it } from "vitest";
import { catalogImage, fixture } from "./lockfile.testutil.js";
import { pythonInstalledAnalyzer } from "./python-installed.js";
import { pythonPipenvAnalyzer } from "./python-pipenv.js";
import { pythonPoetryAnalyzer } from "./python-poetry.js";
import { pythonRequirementsAnalyzer } from "./python-requirements.js";
import { pythonUvAnalyzer } from "./python-uv.js";

const SP = "usr/local/lib/python3.12/site-packages";
const meta = (name: string, version: string) =>
  `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nLicense-Expression: MIT\n\nbody\n`;

describe("python analyzers through the real walker", () => {
  it("installed metadata and lockfiles of the final image, with their layers", async () => {
    const { packages, warnings, diffIds } = await catalogImage(
      [
        {
          [`${SP}/requests-2.31.0.dist-info/METADATA`]: meta("requests", "2.31.0"),
          [`${SP}/requests-2.31.0.dist-info/RECORD`]: "requests/__init__.py,,\n",
          [`${SP}/urllib3-1.26.0.dist-info/METADATA`]: meta("urllib3", "1.26.0"),
          [`${SP}/Old_Pkg-0.1.egg-info`]: "Metadata-Version: 1.0\nName: Old_Pkg\nVersion: 0.1\n",
          "app/requirements.txt": "requests==2.31.0 \\\n  --hash=sha256:00\nflask>=2\n",
          "app/poetry.lock": fixture("python/poetry/poetry_normal.lock"),
        },
        {
          // pip upgraded urllib3: the old dist-info directory is removed, a new one added
          [`${SP}/.wh.urllib3-1.26.0.dist-info`]: "",
          [`${SP}/urllib3-2.2.1.dist-info/METADATA`]: meta("urllib3", "2.2.1"),
          "app/uv.lock": fixture("python/uv/uv_without_root.lock"),
        },
      ],
      [
        pythonInstalledAnalyzer,
        pythonPipenvAnalyzer,
        pythonPoetryAnalyzer,
        pythonUvAnalyzer,
        pythonRequirementsAnalyzer,
      ],
    );
    expect(warnings).toEqual([]);
    const [l1, l2] = diffIds;
    expect(packages.map((p) => [p.purl, p.locations])).toEqual([
      ["pkg:pypi/old-pkg@0.1", [{ path: `${SP}/Old_Pkg-0.1.egg-info`, layer: l1 }]],
      ["pkg:pypi/requests@2.31.0", [{ path: `${SP}/requests-2.31.0.dist-info/METADATA`, layer: l1 }]],
      ["pkg:pypi/urllib3@2.2.1", [{ path: `${SP}/urllib3-2.2.1.dist-info/METADATA`, layer: l2 }]],
      ["pkg:pypi/pypi@2.1", [{ path: "app/poetry.lock", layer: l1 }]],
      ["pkg:pypi/asyncio@3.4.3", [{ path: "app/uv.lock", layer: l2 }]],
      ["pkg:pypi/requests@2.31.0", [{ path: "app/requirements.txt", layer: l1 }]],
    ]);
    expect(packages.every((p) => p.ecosystem === "PyPI" && p.type === "pypi")).toBe(true);
    expect(packages[1]!.licenses).toEqual(["MIT"]);
  });
});
