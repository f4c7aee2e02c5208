/** Where a package (or a finding) was seen: a path inside the image and the layer (diffID) it came from. */
export interface Location {
  path: string;
  /** diffID of the layer that provided the file; absent for `dir:` targets */
  layer?: string;
  line?: number;
}

export interface PackageSource {
  name: string;
  version?: string;
}

export interface Package {
  /** stable id: derived from purl and first location, identical across runs */
  id: string;
  /** OSV ecosystem, with release for OS packages: `Debian:12`, `Alpine:v3.19`, `npm` */
  ecosystem: string;
  name: string;
  version: string;
  purl: string;
  /** package type: deb, apk, rpm, npm, pypi, … (the purl type) */
  type: string;
  arch?: string;
  /** source/origin package (Debian `Source:`, Alpine `origin`, rpm `SOURCERPM`) */
  source?: PackageSource;
  locations: Location[];
  licenses: string[];
  /** extra facts a matcher may need (rpm epoch, vendor, modularity label, …) */
  metadata?: Record<string, string | number | boolean>;
}

export interface OsInfo {
  /** lower-case id: debian, ubuntu, alpine, rhel, centos, fedora, rocky, almalinux, sles, opensuse-leap, wolfi, … */
  family: string;
  version?: string;
  codename?: string;
  prettyName?: string;
  /** OSV ecosystem string for this release (`Debian:12`, `Ubuntu:22.04:LTS`, `Alpine:v3.19`) */
  ecosystem?: string;
}

export type TargetKind = "docker-archive" | "oci" | "dir" | "sbom" | "registry" | "engine";

export interface TargetInfo {
  name: string;
  kind: TargetKind;
  /** manifest digest (OCI, registry) or image id = config digest (docker-archive) */
  digest?: string;
  os?: OsInfo;
  architecture?: string;
  layers?: { digest?: string; diffId: string; size?: number; createdBy?: string }[];
}

export interface Inventory {
  schemaVersion: 1;
  target: TargetInfo;
  packages: Package[];
  /** problems that did not stop the run (skipped entries, unparsable files) */
  warnings?: string[];
}
