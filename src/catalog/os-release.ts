import type { OsInfo } from "../model/index.js";

/** Files that identify the distribution; the walker captures these for `detectOs`. */
const RELEASE_FILES = new Set([
  "etc/os-release",
  "usr/lib/os-release",
  "etc/alpine-release",
  "etc/debian_version",
  "etc/redhat-release",
  "etc/centos-release",
  "etc/rocky-release",
  "etc/almalinux-release",
  "etc/fedora-release",
  "etc/lsb-release",
  "etc/SuSE-release",
  "etc/system-release",
  "etc/mariner-release",
  "etc/azurelinux-release",
]);

export const osReleaseFiles = (path: string): boolean => RELEASE_FILES.has(path);

/**
 * Parse an os-release(5) / lsb-release style file: `KEY=value` lines, shell-like quoting (single quotes are
 * literal, double quotes and bare words honour backslash escapes), `#` comments. Invalid lines are ignored.
 */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    out[m[1]!] = unquote(m[2]!);
  }
  return out;
}

function unquote(v: string): string {
  let out = "";
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else out += c;
    } else if (c === "\\" && i + 1 < v.length && (quote === undefined || '$`"\\'.includes(v[i + 1]!))) {
      out += v[++i]; // inside double quotes only $ ` " \ are escapable, as in sh
    } else if (c === '"' || (c === "'" && quote === undefined)) {
      quote = quote === c ? undefined : c;
    } else if (quote === undefined && c === "#" && /\s$/.test(out)) {
      break; // trailing shell comment after an unquoted value
    } else {
      out += c;
    }
  }
  return out.trim();
}

// Debian release numbers by codename, for testing/sid images whose os-release has no VERSION_ID.
const DEBIAN_CODENAMES: Record<string, string> = {
  wheezy: "7",
  jessie: "8",
  stretch: "9",
  buster: "10",
  bullseye: "11",
  bookworm: "12",
  trixie: "13",
  forky: "14",
  duke: "15",
};

// os-release IDs that name the same family under an older or variant spelling.
const FAMILY_ALIASES: Record<string, string> = {
  opensuse: "opensuse-leap",
  sles_sap: "sles",
  sled: "sles",
  redhat: "rhel",
  "centos-stream": "centos",
  alma: "almalinux",
  "rocky-linux": "rocky",
  amazon: "amzn",
  oracle: "ol",
  "cbl-mariner": "mariner",
};

const text = (read: (path: string) => Buffer | undefined, path: string): string | undefined => {
  const b = read(path);
  return b === undefined ? undefined : b.toString("utf8");
};

export function detectOs(read: (path: string) => Buffer | undefined): OsInfo | undefined {
  try {
    return detect(read);
  } catch {
    return undefined; // a reader or a malformed file must never break cataloguing
  }
}

function detect(read: (path: string) => Buffer | undefined): OsInfo | undefined {
  const osr = text(read, "etc/os-release") ?? text(read, "usr/lib/os-release");
  const debianVersion = text(read, "etc/debian_version")?.trim().split(/\r?\n/)[0]?.trim();
  let info: OsInfo | undefined;
  let ltsHint = false;
  if (osr !== undefined) {
    const kv = parseOsRelease(osr);
    if (kv.ID) {
      info = {
        family: normaliseFamily(kv.ID),
        version: kv.VERSION_ID || undefined,
        codename: kv.VERSION_CODENAME || codenameFromVersion(kv.VERSION) || kv.UBUNTU_CODENAME || undefined,
        prettyName: kv.PRETTY_NAME || kv.NAME || undefined,
      };
      ltsHint = /\bLTS\b/.test(kv.VERSION ?? "") || /\bLTS\b/.test(kv.PRETTY_NAME ?? "");
    }
  }
  info ??= fallback(read, debianVersion);
  if (!info) return undefined;
  if (info.family === "debian" && debianVersion) applyDebianVersion(info, debianVersion);
  if (info.family === "alpine" && !info.version) info.version = text(read, "etc/alpine-release")?.trim();
  const eco = ecosystemFor(info, ltsHint);
  if (eco) info.ecosystem = eco;
  return stripEmpty(info);
}

function normaliseFamily(id: string): string {
  const f = id.trim().toLowerCase();
  return FAMILY_ALIASES[f] ?? f;
}

/** `12 (bookworm)` → `bookworm`; `22.04.3 LTS (Jammy Jellyfish)` → undefined (not a single codename). */
function codenameFromVersion(version: string | undefined): string | undefined {
  const m = /\(([a-z]+)\)\s*$/.exec(version ?? "");
  return m?.[1];
}

/** debian_version holds `12.4` on stable and `trixie/sid` on testing/unstable. */
function applyDebianVersion(info: OsInfo, debianVersion: string): void {
  const m = /^(\d+)(?:\.(\d+))?/.exec(debianVersion);
  if (m) {
    const major = m[1]!;
    if (!info.version) info.version = major;
    else info.version = /^\d+/.exec(info.version)?.[0] ?? info.version;
    // keep the point release (12.4) visible: os-release only says "12"
    if (m[2] !== undefined && info.version === major) {
      const base = info.prettyName ?? "Debian GNU/Linux";
      info.prettyName = new RegExp(`\\b${major}\\b`).test(base)
        ? base.replace(new RegExp(`\\b${major}\\b`), debianVersion)
        : `${base} ${debianVersion}`;
    }
    if (!info.codename)
      info.codename = Object.keys(DEBIAN_CODENAMES).find((c) => DEBIAN_CODENAMES[c] === major);
  } else if (!info.version) {
    const c = /^([a-z]+)(?:\/sid)?$/.exec(debianVersion);
    if (c && !info.codename) info.codename = c[1];
  }
}

/** Used only when there is no os-release: read the distribution-specific release files. */
function fallback(
  read: (path: string) => Buffer | undefined,
  debianVersion: string | undefined,
): OsInfo | undefined {
  const lsb = text(read, "etc/lsb-release");
  if (lsb !== undefined) {
    const kv = parseOsRelease(lsb);
    if (kv.DISTRIB_ID?.toLowerCase() === "ubuntu" && kv.DISTRIB_RELEASE) {
      return {
        family: "ubuntu",
        version: kv.DISTRIB_RELEASE,
        codename: kv.DISTRIB_CODENAME || undefined,
        prettyName: kv.DISTRIB_DESCRIPTION || undefined,
      };
    }
  }
  const alpine = text(read, "etc/alpine-release")?.trim();
  if (alpine) return { family: "alpine", version: alpine.split(/\s+/)[0] };
  for (const path of ["etc/mariner-release", "etc/azurelinux-release"]) {
    const first = text(read, path)?.trim().split(/\r?\n/)[0];
    const m = first ? /^(CBL-Mariner|Azure Linux)\s+([\d.]+)/i.exec(first) : null;
    if (m) {
      const mariner = /mariner/i.test(m[1]!);
      // the file carries a build date (2.0.20240123); the release is major.minor
      const version = m[2]!.split(".").slice(0, 2).join(".");
      return { family: mariner ? "mariner" : "azurelinux", version, prettyName: first };
    }
  }
  const suse = text(read, "etc/SuSE-release");
  if (suse !== undefined) {
    const first = suse.trim().split(/\r?\n/)[0] ?? "";
    const kv = Object.fromEntries(
      [...suse.matchAll(/^\s*([A-Z_]+)\s*=\s*(.*?)\s*$/gm)].map((m) => [m[1]!, m[2]!] as const),
    );
    const open = /opensuse/i.test(first);
    const sp = kv.PATCHLEVEL && kv.PATCHLEVEL !== "0" ? kv.PATCHLEVEL : undefined;
    // match what os-release would say: VERSION_ID 12.3, PRETTY_NAME "… 12 SP3"
    const name = first.replace(/\s*\([^)]*\)\s*$/, "");
    return {
      family: open ? "opensuse-leap" : "sles",
      version: kv.VERSION && sp ? `${kv.VERSION}.${sp}` : kv.VERSION,
      codename: kv.CODENAME,
      prettyName: sp ? `${name} SP${sp}` : name,
    };
  }
  for (const path of [
    "etc/rocky-release",
    "etc/almalinux-release",
    "etc/centos-release",
    "etc/fedora-release",
    "etc/redhat-release",
    "etc/system-release",
  ]) {
    const first = text(read, path)?.trim().split(/\r?\n/)[0];
    const info = first ? parseRedhatRelease(first) : undefined;
    if (info) return info;
  }
  if (debianVersion) return { family: "debian" };
  return undefined;
}

/** `Rocky Linux release 9.3 (Blue Onyx)`, `CentOS Linux release 7.9.2009 (Core)`, `Amazon Linux release 2 (Karoo)`. */
function parseRedhatRelease(line: string): OsInfo | undefined {
  const m = /^(.*?)\s+release\s+([\d.]+)\s*(?:\(([^)]*)\))?/i.exec(line);
  if (!m) return undefined;
  const name = m[1]!.toLowerCase();
  const family = name.startsWith("red hat")
    ? "rhel"
    : name.startsWith("centos")
      ? "centos"
      : name.startsWith("rocky")
        ? "rocky"
        : name.startsWith("almalinux")
          ? "almalinux"
          : name.startsWith("fedora")
            ? "fedora"
            : name.startsWith("amazon")
              ? "amzn"
              : name.startsWith("oracle")
                ? "ol"
                : undefined;
  if (!family) return undefined;
  return { family, version: m[2], codename: m[3] || undefined, prettyName: line.trim() };
}

const major = (v: string | undefined): string | undefined => /^\d+/.exec(v ?? "")?.[0];

/** OSV ecosystem names exactly as listed by ossf/osv-schema `ecosystems.json`; undefined when OSV has none. */
function ecosystemFor(info: OsInfo, ltsHint: boolean): string | undefined {
  const v = info.version;
  switch (info.family) {
    case "debian": {
      const rel = major(v) ?? (info.codename ? DEBIAN_CODENAMES[info.codename] : undefined);
      return rel ? `Debian:${rel}` : info.codename === "sid" ? "Debian:sid" : undefined;
    }
    case "ubuntu": {
      const m = /^(\d+\.\d+)/.exec(v ?? "");
      if (!m) return undefined;
      // every even-year .04 release is LTS; the VERSION text says so too when present
      const lts = ltsHint || /\bLTS\b/.test(info.prettyName ?? "") || /^\d*[02468]\.04$/.test(m[1]!);
      return `Ubuntu:${m[1]}${lts ? ":LTS" : ""}`;
    }
    case "alpine": {
      const m = /^(\d+)\.(\d+)/.exec(v ?? "");
      return m ? `Alpine:v${m[1]}.${m[2]}` : undefined;
    }
    case "wolfi":
      return "Wolfi";
    case "chainguard":
      return "Chainguard";
    case "rhel":
      return "Red Hat";
    case "almalinux":
      return major(v) ? `AlmaLinux:${major(v)}` : "AlmaLinux";
    case "rocky":
      return major(v) ? `Rocky Linux:${major(v)}` : "Rocky Linux";
    case "azurelinux":
      return v ? `Azure Linux:${v}` : "Azure Linux";
    case "photon":
      return v ? `Photon OS:${v}` : undefined;
    case "sles":
    case "sle-micro": {
      // OSV uses the PRETTY_NAME without the vendor word: "SUSE:Linux Enterprise Server 15 SP5"
      const p = info.prettyName?.replace(/^SUSE\s+/i, "");
      return p ? `SUSE:${p}` : undefined;
    }
    case "opensuse-leap":
    case "opensuse-tumbleweed": {
      // "openSUSE:Leap 15.5", "openSUSE:Tumbleweed"
      const p = info.prettyName?.replace(/^openSUSE\s+/i, "");
      return p ? `openSUSE:${p}` : undefined;
    }
    default:
      return undefined;
  }
}

function stripEmpty(info: OsInfo): OsInfo {
  const out: OsInfo = { family: info.family };
  if (info.version) out.version = info.version;
  if (info.codename) out.codename = info.codename;
  if (info.prettyName) out.prettyName = info.prettyName;
  if (info.ecosystem) out.ecosystem = info.ecosystem;
  return out;
}
