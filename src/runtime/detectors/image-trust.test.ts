import { describe, expect, it } from "vitest";
import { container, fakeClock } from "./detectors.testutil.js";
import { createImageTrustDetector, type ImageTrustOptions, type ImageVerdict } from "./image-trust.js";

async function judge(verdict: ImageVerdict | undefined, opts: Partial<ImageTrustOptions> = {}) {
  const { ctx } = fakeClock();
  const asked: string[] = [];
  const d = createImageTrustDetector({
    verdicts: {
      async verdict(imageId) {
        asked.push(imageId);
        return verdict;
      },
    },
    ...opts,
  });
  const ds = await d.onContainer!(container("web"), ctx);
  return { ds, asked, ids: ds.map((x) => [x.id, x.severity]) };
}

describe("image-trust", () => {
  it("an image with no verdict, or scanned: false, is image.unscanned (asked by image id)", async () => {
    const r = await judge(undefined);
    expect(r.asked).toEqual([`sha256:${"1".repeat(64)}`]);
    expect(r.ids).toEqual([["image.unscanned", "medium"]]);
    expect(r.ds[0]).toMatchObject({ detector: "image-trust", details: { image: "localhost/app:1" } });
    expect((await judge({ scanned: false, counts: {} }, { unscannedSeverity: "high" })).ids).toEqual([
      ["image.unscanned", "high"],
    ]);
  });

  it("findings at or above the floor raise image.findings with the worst severity; below it nothing", async () => {
    const r = await judge({
      scanned: true,
      worstSeverity: "critical",
      counts: { critical: 2, high: 5, low: 9 },
    });
    expect(r.ids).toEqual([["image.findings", "critical"]]);
    expect(r.ds[0]!.evidence).toBe("image localhost/app:1: 2 critical, 5 high (floor high)");
    expect((await judge({ scanned: true, worstSeverity: "medium", counts: { medium: 3 } })).ids).toEqual([]);
    expect(
      (await judge({ scanned: true, worstSeverity: "medium", counts: { medium: 3 } }, { floor: "medium" }))
        .ids,
    ).toEqual([["image.findings", "medium"]]);
    expect((await judge({ scanned: true, counts: {} })).ids).toEqual([]);
  });

  it("image.unsigned only when signatures are required and the verdict says unsigned", async () => {
    const unsigned: ImageVerdict = { scanned: true, counts: {}, signed: false };
    expect((await judge(unsigned)).ids).toEqual([]);
    expect((await judge(unsigned, { requireSignature: true })).ids).toEqual([["image.unsigned", "high"]]);
    expect((await judge({ ...unsigned, signed: true }, { requireSignature: true })).ids).toEqual([]);
    // could not tell (registry away): no claim either way
    expect((await judge({ scanned: true, counts: {} }, { requireSignature: true })).ids).toEqual([]);
  });
});
