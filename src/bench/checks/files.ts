import type { Severity } from "../../model/index.js";
import {
  CERTS_DIR,
  CONTAINERD_SOCKET,
  DOCKER_SOCKET,
  DOCKER_UNIT_PATHS,
  daemonJsonHostPath,
  tlsPaths,
} from "../host-files.js";
import type { BenchCheck, BenchContext, CheckDefinition, CheckItem, FileFact } from "../types.js";
import { aggregate, check, definer, skip } from "./common.js";

/**
 * CIS Docker Benchmark 3.x: owner and mode of the engine's files, sockets and certificates. CIS asks
 * about each file "if it exists", so a file that is not there passes as "not present". "Or more
 * restrictive" means no permission bit outside the allowed mask (setuid/setgid/sticky included).
 */

type Owner = "root:root" | "root:docker";

const def = definer("files");

const octal = (mode: number) => mode.toString(8).padStart(3, "0");
const ownerText = (f: FileFact) => `${f.owner ?? f.uid}:${f.group ?? f.gid}`;

function judgeOwner(f: FileFact, want: Owner): CheckItem {
  const userOk = f.uid === 0;
  // root:docker lets the docker group use the socket; group root is stricter still, so it passes too
  const groupOk = f.gid === 0 || (want === "root:docker" && f.group === "docker");
  return userOk && groupOk
    ? { subject: f.path, result: "pass", evidence: `owned by ${ownerText(f)}` }
    : { subject: f.path, result: "fail", evidence: `owned by ${ownerText(f)}, expected ${want}` };
}

function judgeMode(f: FileFact, max: number): CheckItem {
  const mode = f.mode ?? 0;
  return (mode & ~max) === 0
    ? { subject: f.path, result: "pass", evidence: `mode ${octal(mode)}` }
    : {
        subject: f.path,
        result: "fail",
        evidence: `mode ${octal(mode)}, expected ${octal(max)} or more restrictive`,
      };
}

/** Which host paths a check looks at; a string result is the reason there is nothing to look at. */
type Targets = (ctx: BenchContext) => readonly string[] | string;

function fileCheck(
  definition: CheckDefinition,
  targets: Targets,
  judge: (f: FileFact) => CheckItem,
  filesOnly = false,
): BenchCheck {
  return check(definition, (ctx) => {
    const host = ctx.host;
    if (!host) return skip("no host facts (run on the host or give --host-root)");
    const paths = targets(ctx);
    if (typeof paths === "string") return { result: "pass", evidence: paths };
    const unknown = paths.filter((p) => !host.files[p]);
    if (unknown.length === paths.length && paths.length > 0)
      return skip(`${unknown.join(", ")} not examined`);
    const present = paths
      .map((p) => host.files[p])
      .filter((f): f is FileFact => f?.exists === true && (!filesOnly || f.type === "file"));
    if (present.length === 0)
      return { result: "pass", evidence: `${paths.join(", ") || "no such files"}: not present` };
    return aggregate(present.map(judge), present.length === 1 ? "file" : "files");
  });
}

const pair = (
  ids: [string, string],
  titles: [string, string],
  targets: Targets,
  owner: Owner,
  max: number,
  severity: Severity,
  what: string,
  filesOnly = false,
): BenchCheck[] => [
  fileCheck(
    def(ids[0], titles[0], severity, `chown ${owner} ${what}`),
    targets,
    (f) => judgeOwner(f, owner),
    false,
  ),
  fileCheck(
    def(ids[1], titles[1], severity, `chmod ${octal(max)} ${what}`),
    targets,
    (f) => judgeMode(f, max),
    filesOnly,
  ),
];

const fixed =
  (...paths: string[]) =>
  () =>
    paths;
const certEntries: Targets = (ctx) => {
  const entries = Object.keys(ctx.host?.files ?? {}).filter((p) => p.startsWith(`${CERTS_DIR}/`));
  return entries.length > 0 ? entries : `no registry certificates under ${CERTS_DIR}`;
};
const tls =
  (key: "tlscacert" | "tlscert" | "tlskey"): Targets =>
  (ctx) => {
    const path = tlsPaths(ctx.daemon)[key];
    return path ? [path] : `no ${key} configured`;
  };

const unit = (name: string) => fixed(...DOCKER_UNIT_PATHS.filter((p) => p.endsWith(`/${name}`)));

export const FILE_CHECKS: BenchCheck[] = [
  ...pair(
    ["3.1", "3.2"],
    [
      "Ensure that the docker.service file ownership is set to root:root",
      "Ensure that docker.service file permissions are appropriately set",
    ],
    unit("docker.service"),
    "root:root",
    0o644,
    "medium",
    "the docker.service unit file (`systemctl show -p FragmentPath docker.service`)",
  ),
  ...pair(
    ["3.3", "3.4"],
    [
      "Ensure that docker.socket file ownership is set to root:root",
      "Ensure that docker.socket file permissions are set to 644 or more restrictive",
    ],
    unit("docker.socket"),
    "root:root",
    0o644,
    "medium",
    "the docker.socket unit file (`systemctl show -p FragmentPath docker.socket`)",
  ),
  ...pair(
    ["3.5", "3.6"],
    [
      "Ensure that the /etc/docker directory ownership is set to root:root",
      "Ensure that /etc/docker directory permissions are set to 755 or more restrictively",
    ],
    fixed("/etc/docker"),
    "root:root",
    0o755,
    "medium",
    "/etc/docker",
  ),
  ...pair(
    ["3.7", "3.8"],
    [
      "Ensure that registry certificate file ownership is set to root:root",
      "Ensure that registry certificate file permissions are set to 444 or more restrictively",
    ],
    certEntries,
    "root:root",
    0o444,
    "medium",
    `${CERTS_DIR}/<registry>/* (ownership: the directories too)`,
    true,
  ),
  ...pair(
    ["3.9", "3.10"],
    [
      "Ensure that TLS CA certificate file ownership is set to root:root",
      "Ensure that TLS CA certificate file permissions are set to 444 or more restrictively",
    ],
    tls("tlscacert"),
    "root:root",
    0o444,
    "medium",
    "the file named by tlscacert",
  ),
  ...pair(
    ["3.11", "3.12"],
    [
      "Ensure that Docker server certificate file ownership is set to root:root",
      "Ensure that the Docker server certificate file permissions are set to 444 or more restrictively",
    ],
    tls("tlscert"),
    "root:root",
    0o444,
    "medium",
    "the file named by tlscert",
  ),
  ...pair(
    ["3.13", "3.14"],
    [
      "Ensure that the Docker server certificate key file ownership is set to root:root",
      "Ensure that the Docker server certificate key file permissions are set to 400",
    ],
    tls("tlskey"),
    "root:root",
    0o400,
    "high",
    "the file named by tlskey",
  ),
  ...pair(
    ["3.15", "3.16"],
    [
      "Ensure that the Docker socket file ownership is set to root:docker",
      "Ensure that the Docker socket file permissions are set to 660 or more restrictively",
    ],
    fixed(DOCKER_SOCKET),
    "root:docker",
    0o660,
    "high",
    `${DOCKER_SOCKET} (set "group" in daemon.json or SocketGroup= in docker.socket to keep it after restarts)`,
  ),
  ...pair(
    ["3.17", "3.18"],
    [
      "Ensure that the daemon.json file ownership is set to root:root",
      "Ensure that daemon.json file permissions are set to 644 or more restrictive",
    ],
    (ctx) => [daemonJsonHostPath(ctx.daemon)],
    "root:root",
    0o644,
    "medium",
    "/etc/docker/daemon.json",
  ),
  ...pair(
    ["3.19", "3.20"],
    [
      "Ensure that the /etc/default/docker file ownership is set to root:root",
      "Ensure that the /etc/default/docker file permissions are set to 644 or more restrictively",
    ],
    fixed("/etc/default/docker"),
    "root:root",
    0o644,
    "medium",
    "/etc/default/docker",
  ),
  // CIS v1.6 lists permissions (3.21) before ownership (3.22) for /etc/sysconfig/docker
  ...pair(
    ["3.22", "3.21"],
    [
      "Ensure that the /etc/sysconfig/docker file ownership is set to root:root",
      "Ensure that the /etc/sysconfig/docker file permissions are set to 644 or more restrictively",
    ],
    fixed("/etc/sysconfig/docker"),
    "root:root",
    0o644,
    "medium",
    "/etc/sysconfig/docker",
  ).reverse(),
  ...pair(
    ["3.23", "3.24"],
    [
      "Ensure that the Containerd socket file ownership is set to root:root",
      "Ensure that the Containerd socket file permissions are set to 660 or more restrictively",
    ],
    fixed(CONTAINERD_SOCKET),
    "root:root",
    0o660,
    "high",
    CONTAINERD_SOCKET,
  ),
];
