/**
 * An image reference split the way the distribution spec does it
 * (github.com/distribution/reference: `[registry/]path[:tag][@digest]`). Used to judge tags, not to
 * pull: no default registry or `library/` prefix is filled in.
 */
export interface ImageRef {
  /** first component when it names a host (has `.` or `:`, or is `localhost`) */
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;

/** Parses `name[:tag][@digest]`; undefined when it is not a valid reference. */
export function parseImageRef(text: string): ImageRef | undefined {
  let rest = text.trim();
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return undefined;
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return undefined;
  }
  const parts = rest.split("/");
  let registry: string | undefined;
  const first = parts[0] ?? "";
  if (parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    parts.shift();
  }
  if (parts.length === 0 || !parts.every((p) => COMPONENT.test(p))) return undefined;
  return {
    ...(registry ? { registry } : {}),
    repository: parts.join("/"),
    ...(tag !== undefined ? { tag } : {}),
    ...(digest ? { digest } : {}),
  };
}

/** "latest", "untagged" (which means latest), or undefined when the reference names a version. */
export function floatingTag(ref: ImageRef): "latest" | "untagged" | undefined {
  if (ref.digest) return undefined;
  if (ref.tag === undefined) return "untagged";
  return ref.tag === "latest" ? "latest" : undefined;
}
