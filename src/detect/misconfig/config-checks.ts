import type { ConfigFinding, ConfigScanner, ImageMeta } from "../detector.js";
import {
  APT_VALUED,
  basename,
  invocations,
  remoteScriptsExecuted,
  subcommand,
} from "../dockerfile/commands.js";
import { floatingTag, parseImageRef } from "../dockerfile/image-ref.js";
import { exposesPort } from "../dockerfile/rules/instruction-rules.js";
import { isRootUser } from "../dockerfile/rules/stage-rules.js";
import { describeValue, placeholderValue, sensitiveName } from "../dockerfile/secret-keys.js";
import { CHECKS, type MisconfigCheck } from "./checks.js";
import { type HistoryStep, parseCreatedBy } from "./history.js";

/**
 * Misconfiguration checks over the image config and its history (no file content): user, healthcheck,
 * credential-like names in Env / Labels / build args, and what the recorded build steps did (ADD <url>,
 * curl | sh, sudo, apt-get update alone). History commands are tokenised as shell, not grepped.
 */

const finding = (check: MisconfigCheck, field: string, evidence: string): ConfigFinding => ({
  kind: "misconfig",
  id: check.id,
  severity: check.severity,
  title: check.title,
  field,
  evidence,
});

function userChecks(meta: ImageMeta): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  const user = meta.user?.trim() ?? "";
  if (user === "")
    out.push(finding(CHECKS.rootUser, "config.User", "config.User is not set, so the image runs as root"));
  else if (isRootUser(user)) out.push(finding(CHECKS.rootUser, "config.User", `config.User is "${user}"`));
  const test = meta.healthcheck?.test;
  if (!test || test.length === 0 || test[0] === "NONE")
    out.push(
      finding(
        CHECKS.noHealthcheck,
        "config.Healthcheck",
        test?.[0] === "NONE"
          ? "HEALTHCHECK NONE disables the base image's check"
          : "config.Healthcheck is not set",
      ),
    );
  return out;
}

function credentialNames(meta: ImageMeta, steps: HistoryStep[]): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  for (const [i, entry] of meta.env.entries()) {
    const eq = entry.indexOf("=");
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const value = eq < 0 ? "" : entry.slice(eq + 1);
    const why = sensitiveName(name);
    if (why && !placeholderValue(value))
      out.push(
        finding(CHECKS.secretKeys, `config.Env[${i}]`, `Env ${name}: ${why}; ${describeValue(value)}`),
      );
  }
  for (const [name, value] of Object.entries(meta.labels)) {
    const why = sensitiveName(name);
    if (why && !placeholderValue(value))
      out.push(
        finding(
          CHECKS.secretKeys,
          `config.Labels["${name}"]`,
          `Label ${name}: ${why}; ${describeValue(value)}`,
        ),
      );
  }
  // the same build arg is recorded on every RUN that used it: report each name once
  const seen = new Set<string>();
  for (const [i, step] of steps.entries()) {
    for (const { name, value } of step.buildArgs) {
      const why = sensitiveName(name);
      if (!why || placeholderValue(value) || seen.has(name)) continue;
      seen.add(name);
      out.push(
        finding(
          CHECKS.secretKeys,
          `history[${i}].created_by`,
          `build arg ${name} is recorded in the history: ${why}; ${describeValue(value)}`,
        ),
      );
    }
  }
  return out;
}

const REMOTE = /^(?:https?|ftp):\/\//i;

function historyChecks(steps: HistoryStep[]): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  for (const [i, step] of steps.entries()) {
    const field = `history[${i}].created_by`;
    if (step.instruction === "ADD") {
      const words = step.args.split(/\s+/).filter(Boolean);
      const verified = words.some((w) => w.startsWith("--checksum="));
      const urls = words.slice(0, -1).filter((w) => REMOTE.test(w));
      if (urls.length && !verified) out.push(finding(CHECKS.addUrl, field, `ADD ${urls.join(" ")}`));
    }
    if (step.script === undefined) continue;
    const remote = remoteScriptsExecuted(step.script);
    if (remote.length) out.push(finding(CHECKS.remoteScript, field, remote.join("; ")));
    const invs = invocations(step.script);
    if (invs.some((inv) => inv.program === "sudo" || inv.via.includes("sudo")))
      out.push(finding(CHECKS.sudoUsed, field, shorten(step.script)));
    const updates = invs.filter((inv) => isIndexUpdate(inv.program, subcommand(inv, APT_VALUED)));
    const installs = invs.filter((inv) => isInstall(inv.program, subcommand(inv, APT_VALUED)));
    if (updates.length && installs.length === 0)
      out.push(
        finding(
          CHECKS.updateAlone,
          field,
          `${updates[0]?.program} update without an install in the same step`,
        ),
      );
    if (invs.some((inv) => inv.program === "sshd" || (inv.program === "service" && inv.args[0] === "ssh")))
      out.push(finding(CHECKS.sshServer, field, `a build step starts sshd: ${shorten(step.script)}`));
  }
  return out;
}

const APT = new Set(["apt-get", "apt", "aptitude"]);
const isIndexUpdate = (program: string, sub: string | undefined): boolean =>
  (APT.has(program) || program === "apk") && sub === "update";
const isInstall = (program: string, sub: string | undefined): boolean =>
  (APT.has(program) &&
    ["install", "upgrade", "dist-upgrade", "full-upgrade", "build-dep"].includes(sub ?? "")) ||
  (program === "apk" && ["add", "upgrade"].includes(sub ?? ""));

const shorten = (s: string): string => {
  const one = s.replace(/\s+/g, " ").trim();
  return one.length > 160 ? `${one.slice(0, 157)}...` : one;
};

function sshAndTag(meta: ImageMeta): ConfigFinding[] {
  const out: ConfigFinding[] = [];
  const ports = meta.exposedPorts.filter((p) => exposesPort(p, 22));
  if (ports.length) out.push(finding(CHECKS.sshServer, "config.ExposedPorts", `exposes ${ports.join(", ")}`));
  for (const [field, argv] of [
    ["config.Entrypoint", meta.entrypoint],
    ["config.Cmd", meta.cmd],
  ] as const) {
    const runsSshd =
      argv.some((a) => basename(a) === "sshd") ||
      (argv.length >= 3 && argv[1] === "-c" && invocations(argv[2] ?? "").some((i) => i.program === "sshd"));
    if (runsSshd) out.push(finding(CHECKS.sshServer, field, `starts sshd: ${shorten(argv.join(" "))}`));
  }
  const ref = referenceOf(meta.name);
  const floating = ref && floatingTag(ref);
  if (floating)
    out.push(
      finding(
        CHECKS.latestTag,
        "name",
        floating === "latest" ? `${meta.name} uses the latest tag` : `${meta.name} has no tag (means latest)`,
      ),
    );
  return out;
}

/** The image reference in a target name; undefined for archives, layouts, directories and SBOMs. */
function referenceOf(name: string | undefined) {
  if (!name || /^(?:docker-archive|oci-archive|oci|dir|sbom):/.test(name)) return undefined;
  const bare = name.replace(/^(?:registry:|engine:|docker:\/\/)/, "");
  if (bare.startsWith("/") || bare.startsWith(".") || /\.(?:tar|tgz|gz|json)$/i.test(bare)) return undefined;
  return parseImageRef(bare);
}

export const misconfigConfigScanner: ConfigScanner = {
  name: "misconfig-config",
  version: 1,
  scanConfig(meta) {
    const steps = meta.history.map((h) => parseCreatedBy(h.createdBy));
    return [
      ...userChecks(meta),
      ...credentialNames(meta, steps),
      ...historyChecks(steps),
      ...sshAndTag(meta),
    ];
  },
};
