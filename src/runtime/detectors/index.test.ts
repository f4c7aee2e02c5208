import { describe, expect, it } from "vitest";
import { AirbagError } from "../../model/index.js";
import { createRuntimeDetectors, RUNTIME_DETECTOR_NAMES } from "./index.js";

describe("runtime detector registry", () => {
  it("builds the provider-free detectors by default, the others when their providers are given", () => {
    expect(createRuntimeDetectors().map((d) => d.name)).toEqual([
      "cryptominer",
      "shell",
      "drift",
      "risky-container",
    ]);
    const all = createRuntimeDetectors({
      imageTrust: { verdicts: { verdict: async () => undefined } },
      newCve: {
        inventory: async () => undefined,
        lookup: () => ({ advisoriesFor: () => [], enrich: () => ({ cvss: [], kev: false, references: [] }) }),
      },
    });
    expect(all.map((d) => d.name)).toEqual([...RUNTIME_DETECTOR_NAMES]);
  });

  it("`only` selects; asking for a detector without its provider is an input error", () => {
    expect(createRuntimeDetectors({ only: ["drift", "shell"] }).map((d) => d.name)).toEqual([
      "shell",
      "drift",
    ]);
    expect(() => createRuntimeDetectors({ only: ["new-cve"] })).toThrow(AirbagError);
    expect(() => createRuntimeDetectors({ only: ["image-trust"] })).toThrow(/image verdicts/);
  });

  it("fresh instances each time: state is per monitor", () => {
    const [a] = createRuntimeDetectors({ only: ["cryptominer"] });
    const [b] = createRuntimeDetectors({ only: ["cryptominer"] });
    expect(a).not.toBe(b);
  });
});
