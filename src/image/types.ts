import type { TargetInfo } from "../model/index.js";

/** OCI / Docker image config (the parts Airbag reads). */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown> | null;
    Healthcheck?: { Test?: string[] } | null;
  };
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: { created?: string; created_by?: string; empty_layer?: boolean; comment?: string }[];
}

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size?: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** One layer of an image: how to open its stored bytes, and what they must hash to. */
export interface LayerRef {
  index: number;
  /** sha256 of the uncompressed tar, from the image config (verified while walking) */
  diffId?: string;
  /** digest of the stored blob, from the manifest (verified while walking) */
  digest?: string;
  size?: number;
  mediaType?: string;
  /** human name for messages: archive member or blob path */
  where: string;
  open(): Promise<AsyncIterable<Buffer>>;
}

export interface LayeredImage {
  kind: "layers";
  info: TargetInfo;
  config?: ImageConfig;
  layers: LayerRef[];
  close(): Promise<void>;
}

export interface RootfsImage {
  kind: "rootfs";
  info: TargetInfo;
  root: string;
  close(): Promise<void>;
}

export type ImageSource = LayeredImage | RootfsImage;

export interface OpenOptions {
  /** `os/arch[/variant]`; default: the host's, then linux/amd64 */
  platform?: string;
  tmpDir?: string;
}
