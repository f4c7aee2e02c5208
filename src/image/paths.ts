/**
 * Normalise a path from a tar entry or a symlink into the image-root form used everywhere:
 * no leading `/` or `./`, no empty or `.` segments, `..` resolved. Returns undefined when the path
 * climbs above the image root (`../../etc/passwd`): runtimes refuse such entries and so do we.
 */
export function normalizeEntryPath(name: string): string | undefined {
  const out: string[] = [];
  for (const seg of name.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length === 0) return undefined;
      out.pop();
      continue;
    }
    out.push(seg);
  }
  return out.join("/");
}

/** Join a symlink target to the directory holding the link, clamping `..` at the image root. */
export function resolveLinkTarget(linkPath: string, target: string): string {
  const base = target.startsWith("/") ? [] : linkPath.split("/").slice(0, -1);
  for (const seg of target.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") base.pop();
    else base.push(seg);
  }
  return base.join("/");
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
