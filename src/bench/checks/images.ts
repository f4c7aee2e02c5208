import type { ConfigFinding } from "../../detect/detector.js";
import { misconfigConfigScanner } from "../../detect/misconfig/index.js";
import type { BenchCheck, BenchContext, CheckItem, CheckOutcome, LocalImage } from "../types.js";
import { aggregate, check, definer, manual, skip } from "./common.js";

/**
 * CIS Docker Benchmark 4.x over every local image: the misconfiguration detectors `airbag scan` runs
 * on an image config (user, healthcheck, history, credential-like names) decide 4.1, 4.6, 4.7, 4.9 and
 * 4.10, so bench and scan never disagree about the same image.
 */

const def = definer("images");

/** The detector finding id that decides each CIS 4.x check. */
const DETECTOR_ID: Record<string, string> = {
  "4.1": "CIS-DI-0001",
  "4.6": "CIS-DI-0006",
  "4.7": "CIS-DI-0007",
  "4.9": "CIS-DI-0009",
  "4.10": "CIS-DI-0010",
};

const findingsCache = new WeakMap<LocalImage, ConfigFinding[]>();
function findingsOf(img: LocalImage): ConfigFinding[] {
  let f = findingsCache.get(img);
  if (!f) {
    f = misconfigConfigScanner.scanConfig(img.meta);
    findingsCache.set(img, f);
  }
  return f;
}

export const imageName = (img: LocalImage) => img.tags[0] ?? img.id.replace(/^sha256:/, "").slice(0, 12);

function perImage(ctx: BenchContext, id: string, failAs: "fail" | "warn"): CheckOutcome {
  if (!ctx.images) return skip("no image data (no engine)");
  if (ctx.images.length === 0) return { result: "info", evidence: "no local images" };
  const detectorId = DETECTOR_ID[id];
  const items: CheckItem[] = ctx.images.map((img) => {
    const hits = findingsOf(img).filter((f) => f.id === detectorId);
    return hits.length
      ? {
          subject: imageName(img),
          result: failAs,
          evidence: hits.map((h) => h.evidence ?? h.title).join("; "),
        }
      : { subject: imageName(img), result: "pass", evidence: "compliant" };
  });
  return aggregate(items, "images");
}

export const IMAGE_CHECKS: BenchCheck[] = [
  check(
    def(
      "4.1",
      "Ensure that a user for the container has been created",
      "medium",
      "Create a user in the Dockerfile and switch to it with USER.",
    ),
    (ctx) => perImage(ctx, "4.1", "fail"),
  ),
  manual(
    def(
      "4.2",
      "Ensure that containers use only trusted base images",
      "medium",
      "Pull base images from registries you trust and verify their signatures (`airbag verify`).",
      { scored: false },
    ),
    "review the base images; `airbag lint` flags untrusted registries in Dockerfiles",
  ),
  manual(
    def(
      "4.3",
      "Ensure that unnecessary packages are not installed in the container",
      "low",
      "Install only what the service needs; prefer slim or distroless bases.",
      { scored: false },
    ),
    "`airbag sbom engine:IMAGE` lists every package for review",
  ),
  manual(
    def(
      "4.4",
      "Ensure images are scanned and rebuilt to include security patches",
      "high",
      "Scan images in CI (`airbag scan --fail-on high`) and rebuild on new fixes.",
      { scored: false },
    ),
    "run `airbag scan engine:IMAGE` on each image listed under 6.1",
  ),
  check(
    def(
      "4.5",
      "Ensure Content trust for Docker is Enabled",
      "medium",
      "export DOCKER_CONTENT_TRUST=1 for the Docker client (or enforce signatures with `airbag verify` / admission).",
      { level: 2 },
    ),
    (ctx) => {
      const v = ctx.host?.contentTrust ?? process.env.DOCKER_CONTENT_TRUST;
      return v === "1"
        ? { result: "pass", evidence: "DOCKER_CONTENT_TRUST=1" }
        : {
            result: "fail",
            evidence: v === undefined ? "DOCKER_CONTENT_TRUST is not set" : `DOCKER_CONTENT_TRUST=${v}`,
          };
    },
  ),
  check(
    def(
      "4.6",
      "Ensure that HEALTHCHECK instructions have been added to container images",
      "low",
      "Add a HEALTHCHECK instruction to the Dockerfile.",
    ),
    (ctx) => perImage(ctx, "4.6", "fail"),
  ),
  check(
    def(
      "4.7",
      "Ensure update instructions are not used alone in Dockerfiles",
      "low",
      "Combine `apt-get update` with the install in one RUN.",
      { scored: false },
    ),
    (ctx) => perImage(ctx, "4.7", "warn"),
  ),
  {
    ...def(
      "4.8",
      "Ensure setuid and setgid permissions are removed",
      "low",
      "Remove setuid/setgid bits the container does not need (`chmod a-s`).",
      { level: 2, scored: false },
    ),
    run: (ctx) =>
      ctx.images?.length
        ? skip("needs the image layers: run `airbag scan --scanners misconfig engine:IMAGE` (CIS-DI-0008)")
        : skip("no local images"),
  },
  check(
    def(
      "4.9",
      "Ensure that COPY is used instead of ADD in Dockerfiles",
      "low",
      "Use COPY; download with a checksum-verified RUN step instead of ADD <url>.",
      { scored: false },
    ),
    (ctx) => perImage(ctx, "4.9", "warn"),
  ),
  check(
    def(
      "4.10",
      "Ensure secrets are not stored in Dockerfiles",
      "high",
      "Pass secrets at run time or with BuildKit secret mounts, never via ENV/ARG/labels.",
      { scored: false },
    ),
    (ctx) => perImage(ctx, "4.10", "warn"),
  ),
  manual(
    def(
      "4.11",
      "Ensure only verified packages are installed",
      "medium",
      "Install packages with signature verification (apt/dnf defaults; never --allow-unauthenticated).",
      { scored: false },
    ),
    "`airbag lint` flags unverified installs in Dockerfiles",
  ),
  manual(
    def(
      "4.12",
      "Ensure all signed artifacts are validated",
      "medium",
      "Verify signatures before use: `airbag verify IMAGE --key …`.",
      { scored: false },
    ),
    "verify each image with `airbag verify`",
  ),
];
