/**
 * The parts of Docker Engine API answers Airbag reads (`/version`, `/info`, `/containers/{id}/json`,
 * `/images/json`, `/images/{id}/json`, `/images/{id}/history`). Every field is optional: podman's
 * compatible API and old engines leave many out, and offline input (`--inspect FILE`) is user data.
 */

export interface EngineComponent {
  Name?: string;
  Version?: string;
  Details?: Record<string, string | undefined>;
}

export interface EngineVersionInfo {
  Version?: string;
  ApiVersion?: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os?: string;
  Arch?: string;
  KernelVersion?: string;
  Experimental?: boolean;
  Platform?: { Name?: string };
  Components?: EngineComponent[];
}

export interface CommitInfo {
  ID?: string;
  Expected?: string;
}

export interface EngineInfo {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  Driver?: string;
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  KernelVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  DockerRootDir?: string;
  LiveRestoreEnabled?: boolean;
  Isolation?: string;
  InitBinary?: string;
  DefaultRuntime?: string;
  Runtimes?: Record<string, { path?: string; runtimeArgs?: string[] }>;
  SecurityOptions?: string[];
  ExperimentalBuild?: boolean;
  RegistryConfig?: {
    InsecureRegistryCIDRs?: string[];
    IndexConfigs?: Record<
      string,
      { Name?: string; Secure?: boolean; Official?: boolean; Mirrors?: string[] }
    >;
    Mirrors?: string[];
  };
  Plugins?: { Authorization?: string[] | null; Log?: string[]; Volume?: string[]; Network?: string[] };
  Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; Managers?: number; Nodes?: number };
  RuncCommit?: CommitInfo;
  ContainerdCommit?: CommitInfo;
  InitCommit?: CommitInfo;
  Warnings?: string[] | null;
}

export interface MountPoint {
  Type?: string;
  Name?: string;
  Source?: string;
  Destination?: string;
  Mode?: string;
  RW?: boolean;
  Propagation?: string;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface ContainerHostConfig {
  Privileged?: boolean;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  NetworkMode?: string;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  UsernsMode?: string;
  CgroupParent?: string;
  Memory?: number;
  MemorySwap?: number;
  CpuShares?: number;
  NanoCpus?: number;
  CpuQuota?: number;
  CpuPeriod?: number;
  PidsLimit?: number | null;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
  Devices?: { PathOnHost?: string; PathInContainer?: string; CgroupPermissions?: string }[] | null;
  Ulimits?: { Name?: string; Soft?: number; Hard?: number }[] | null;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  Binds?: string[] | null;
  AutoRemove?: boolean;
}

export interface ContainerInspect {
  Id?: string;
  Name?: string;
  Image?: string;
  Created?: string;
  State?: {
    Status?: string;
    Running?: boolean;
    Paused?: boolean;
    Pid?: number;
    Health?: { Status?: string };
  };
  AppArmorProfile?: string;
  ProcessLabel?: string;
  HostConfig?: ContainerHostConfig;
  Mounts?: MountPoint[];
  Config?: {
    Image?: string;
    User?: string;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | string | null;
    Healthcheck?: { Test?: string[] };
  };
  NetworkSettings?: {
    Ports?: Record<string, PortBinding[] | null> | null;
    Networks?: Record<string, { NetworkID?: string; IPAddress?: string }>;
  };
}

export interface ContainerSummary {
  Id?: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  State?: string;
  Status?: string;
  Created?: number;
}

export interface ImageSummary {
  Id?: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Created?: number;
  Size?: number;
  Containers?: number;
}

export interface ImageInspect {
  Id?: string;
  RepoTags?: string[] | null;
  Config?: {
    User?: string;
    Env?: string[] | null;
    Labels?: Record<string, string> | null;
    Entrypoint?: string[] | string | null;
    Cmd?: string[] | null;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: { Test?: string[] };
  };
}

export interface ImageHistoryItem {
  Id?: string;
  CreatedBy?: string;
  Size?: number;
  Tags?: string[] | null;
}
