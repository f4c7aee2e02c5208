import { floatingTag } from "../image-ref.js";
import type { ParsedDockerfile, Stage } from "../parser.js";
import { type LintRule, type RuleHit, stageChain } from "./rule.js";

/** Rules about build stages as a whole: the base image, and the user the final image runs as. */

/** FROMs naming an external image (not scratch, not an earlier stage, fully resolved). */
const externalFroms = (df: ParsedDockerfile): (Stage & { ref: NonNullable<Stage["ref"]> })[] =>
  df.stages.filter((s): s is Stage & { ref: NonNullable<Stage["ref"]> } => s.ref !== undefined);

const fromHit = (s: Stage, message: string): RuleHit => ({ line: s.line, endLine: s.line, message });

const shownImage = (s: Stage): string => (s.image === s.rawImage ? s.image : `${s.rawImage} (= ${s.image})`);

export const untaggedImage: LintRule = {
  id: "DL3006",
  severity: "medium",
  title: "Always tag the version of an image explicitly",
  description:
    "An untagged FROM means `latest`: the base changes under you between builds, and a compromised or broken latest release is pulled in silently. Name a release tag, ideally plus a digest.",
  references: ["CIS Docker Benchmark 4.2", "hadolint DL3006", "dockle DKL-DI-0006"],
  check: (df) =>
    externalFroms(df)
      .filter((s) => floatingTag(s.ref) === "untagged")
      .map((s) => fromHit(s, `FROM ${shownImage(s)} has no tag, so it means :latest`)),
};

export const latestTag: LintRule = {
  id: "DL3007",
  severity: "medium",
  title: "Using latest is prone to errors if the image will ever update",
  description:
    "`:latest` moves with every upstream release, so two builds of the same Dockerfile can ship different software. Pin a release tag (and a digest for reproducibility).",
  references: ["CIS Docker Benchmark 4.2", "hadolint DL3007", "dockle DKL-DI-0006"],
  check: (df) =>
    externalFroms(df)
      .filter((s) => floatingTag(s.ref) === "latest")
      .map((s) => fromHit(s, `FROM ${shownImage(s)} uses the latest tag`)),
};

export const unpinnedDigest: LintRule = {
  id: "AB1001",
  severity: "low",
  title: "Base image is not pinned by digest",
  description:
    "A tag can be re-pointed by whoever controls the repository; only `image:tag@sha256:…` guarantees the bytes you reviewed are the bytes you build on. Pin with a digest and let a bot (Renovate, Dependabot) update it.",
  references: ["CIS Docker Benchmark 4.2", "https://docs.docker.com/reference/dockerfile/#from"],
  check: (df) =>
    externalFroms(df)
      .filter((s) => !s.ref.digest)
      .map((s) => fromHit(s, `FROM ${shownImage(s)} is not pinned by digest (@sha256:…)`)),
};

/** `root`, `0`, `root:root`, `0:0`, `root:staff` … — the part before the colon decides. */
export const isRootUser = (user: string): boolean => {
  const name = user.trim().split(":")[0]?.trim() ?? "";
  return name === "root" || /^0+$/.test(name);
};

export const rootUser: LintRule = {
  id: "DL3002",
  severity: "medium",
  title: "Last USER should not be root",
  description:
    "A container running as root turns any code-execution bug into root in the container, one kernel bug away from the host. Create an unprivileged user and switch to it with USER at the end of the final stage.",
  references: ["CIS Docker Benchmark 4.1", "hadolint DL3002", "dockle CIS-DI-0001"],
  check(df) {
    const last = df.stages.at(-1);
    if (!last) return [];
    // USER is inherited from the stage this one is built FROM, like the rest of the image config
    for (const index of stageChain(df, last.index)) {
      const users = (df.stages[index]?.instructions ?? []).filter((i) => i.keyword === "USER" && !i.onbuild);
      const user = users.at(-1);
      if (!user) continue;
      if (!isRootUser(user.args)) return [];
      return [
        {
          line: user.line,
          endLine: user.endLine,
          message: `the final stage runs as "${user.args.trim()}"; switch to an unprivileged USER`,
        },
      ];
    }
    return [
      {
        ...fromHit(last, "the final stage sets no USER, so it runs as root unless the base image sets one"),
        severity: "low",
      },
    ];
  },
};

export const STAGE_RULES: LintRule[] = [rootUser, untaggedImage, latestTag, unpinnedDigest];
