import { describe, expect, it } from "vitest";
import { findings, hits, wrap } from "./lint-hits.testutil.js";
import { worldWritableMode } from "./run-rules.js";

const APT_OK = "apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*";

describe("DL3004 sudo", () => {
  it("flags sudo, also behind env or inside sh -c and exec form", () => {
    expect(hits(wrap("RUN sudo apt-get update"), "DL3004")).toEqual([[2, "DL3004"]]);
    expect(hits(wrap("RUN env X=1 sudo -E make install"), "DL3004")).toEqual([[2, "DL3004"]]);
    expect(hits(wrap("RUN sh -c 'sudo make'"), "DL3004")).toEqual([[2, "DL3004"]]);
    expect(hits(wrap('RUN ["sudo", "make"]'), "DL3004")).toEqual([[2, "DL3004"]]);
  });
  it("ignores the word sudo as an argument or in a string", () => {
    expect(
      hits(wrap('RUN echo "use sudo" && apt-get purge -y sudo && grep sudo /etc/group'), "DL3004"),
    ).toEqual([]);
  });
});

describe("AB1003 curl | sh", () => {
  it("flags remote scripts piped into a shell, in RUN and in heredoc scripts", () => {
    const f = findings(wrap("RUN curl -fsSL https://get.example.sh | sh"), "AB1003");
    expect(f.map((x) => x.message)).toEqual([
      "RUN executes a downloaded script: curl -fsSL https://get.example.sh | sh",
    ]);
    expect(hits(wrap("RUN <<EOF", "set -e", "wget -qO- https://x | bash", "EOF"), "AB1003")).toEqual([
      [2, "AB1003"],
    ]);
    expect(hits(wrap('RUN sh -c "$(curl -fsSL https://x)"'), "AB1003")).toEqual([[2, "AB1003"]]);
  });
  it("accepts download, verify, then run", () => {
    const run = "RUN curl -fsSLo /tmp/i.sh https://x && echo 'abc  /tmp/i.sh' | sha256sum -c && sh /tmp/i.sh";
    expect(hits(wrap(run), "AB1003")).toEqual([]);
    expect(hits(wrap("RUN python3 <<EOF", "import os  # curl x | sh", "EOF"), "AB1003")).toEqual([]);
  });
});

describe("DL4006 pipefail", () => {
  it("flags a pipe without pipefail", () => {
    expect(hits(wrap("RUN curl -s https://x | tar -xz"), "DL4006")).toEqual([[2, "DL4006"]]);
    expect(hits(wrap("RUN wget -O- x | tar -x && set -o pipefail"), "DL4006")).toEqual([[2, "DL4006"]]);
  });
  it("accepts SHELL -o pipefail (inherited by child stages), set -o pipefail first, or exec form", () => {
    const lines = [
      `FROM debian:12@sha256:${"a".repeat(64)} AS base`,
      'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
      "RUN curl -s https://x | tar -xz",
      "FROM base",
      "RUN curl -s https://y | tar -xz",
      "USER app",
    ];
    expect(hits(lines, "DL4006")).toEqual([]);
    expect(hits(wrap("RUN set -euo pipefail; curl -s x | tar -x"), "DL4006")).toEqual([]);
    expect(hits(wrap('RUN ["sh", "-c", "a | b"]'), "DL4006")).toEqual([]);
  });
});

describe("DL3014 / DL3015 / DL3009 apt-get", () => {
  it("flags install without -y, without --no-install-recommends, without removing the lists", () => {
    const lines = wrap("RUN apt-get update && apt-get install curl");
    expect(hits(lines).map(([, id]) => id)).toEqual(["DL3009", "DL3014", "DL3015"]);
  });
  it("accepts the canonical form and its variants", () => {
    expect(hits(wrap(`RUN apt-get update && ${APT_OK}`))).toEqual([]);
    const variants = wrap(
      "RUN apt-get -qq install -o APT::Install-Recommends=false x && rm -rf /var/lib/apt/lists",
      "RUN DEBIAN_FRONTEND=noninteractive apt-get install --yes --no-install-recommends x && rm -r /var/lib/apt/lists/*",
      "RUN --mount=type=cache,target=/var/lib/apt apt-get install -qy --no-install-recommends x",
    );
    expect(hits(variants)).toEqual([]);
  });
  it("checks DL3009 only in stages that ship in the final image", () => {
    const lines = [
      `FROM debian:12@sha256:${"a".repeat(64)} AS build`,
      "RUN apt-get install -y --no-install-recommends gcc",
      `FROM debian:12@sha256:${"a".repeat(64)}`,
      "COPY --from=build /out /out",
      "USER app",
    ];
    expect(hits(lines)).toEqual([]);
  });
});

describe("DL3019 apk add --no-cache", () => {
  it("flags apk add without --no-cache", () => {
    expect(hits(wrap("RUN apk update && apk add curl"), "DL3019")).toEqual([[2, "DL3019"]]);
  });
  it("accepts --no-cache, a cache mount, or removing the cache", () => {
    const lines = wrap(
      "RUN apk add --no-cache curl",
      "RUN --mount=type=cache,target=/var/cache/apk apk add curl",
      "RUN apk add curl && rm -rf /var/cache/apk/*",
    );
    expect(hits(lines, "DL3019")).toEqual([]);
  });
});

describe("DL3042 pip --no-cache-dir", () => {
  it("flags pip install without --no-cache-dir, also as python -m pip", () => {
    expect(hits(wrap("RUN pip install flask"), "DL3042")).toEqual([[2, "DL3042"]]);
    expect(hits(wrap("RUN python3 -m pip install -r req.txt"), "DL3042")).toEqual([[2, "DL3042"]]);
    expect(findings(wrap("RUN pip3 install x"), "DL3042")[0]?.severity).toBe("low");
  });
  it("accepts --no-cache-dir, PIP_NO_CACHE_DIR and cache mounts", () => {
    expect(hits(wrap("RUN pip install --no-cache-dir flask", "RUN pip download x"), "DL3042")).toEqual([]);
    expect(hits(wrap("ENV PIP_NO_CACHE_DIR=1", "RUN pip install flask"), "DL3042")).toEqual([]);
    expect(hits(wrap("RUN --mount=type=cache,target=/root/.cache/pip pip install x"), "DL3042")).toEqual([]);
  });
});

describe("AB1004 chmod world-writable", () => {
  it("flags 777 and symbolic o+w", () => {
    expect(hits(wrap("RUN chmod -R 777 /app"), "AB1004")).toEqual([[2, "AB1004"]]);
    expect(hits(wrap("RUN chmod a+rwx /srv && chmod o+w /etc/x"), "AB1004")).toEqual([[2, "AB1004"]]);
  });
  it("accepts owner/group modes and sticky world-writable dirs", () => {
    expect(
      hits(wrap("RUN chmod 755 /app && chmod 1777 /scratch && chmod g+w,u+x /app && chmod +x run"), "AB1004"),
    ).toEqual([]);
  });
  it.each([
    ["777", true],
    ["0666", true],
    ["2777", true],
    ["1777", false],
    ["775", false],
    ["ugo+rw", true],
    ["a+rwxt", false],
    ["+w", false],
  ])("mode %s world-writable: %s", (mode, expected) => {
    expect(worldWritableMode(mode)).toBe(expected);
  });
});

describe("DL3003 cd", () => {
  it("flags cd in RUN", () => {
    expect(hits(wrap("RUN cd /src && make"), "DL3003")).toEqual([[2, "DL3003"]]);
  });
  it("accepts WORKDIR", () => {
    expect(hits(wrap("WORKDIR /src", "RUN make"), "DL3003")).toEqual([]);
  });
});
