import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPurl } from "../catalog/purl.js";
import { AirbagError } from "../model/index.js";
import { parseDistro, parsePurl, purlFacts } from "./purl-parse.js";

const facts = (purl: string, os?: Parameters<typeof purlFacts>[1]) => purlFacts(parsePurl(purl), os);

describe("parsePurl: package-url spec test suite", () => {
  // Cases from package-url/purl-spec test-suite-data.json (MIT): [purl, type, namespace, name, version,
  // qualifiers, subpath]. Type-specific rules the suite also checks (conan, swift, cran need a namespace or
  // version) are not enforced: a scanner keeps such packages and lets matching decide.
  const valid: [
    string,
    string,
    string | null,
    string,
    string | null,
    Record<string, string>,
    string | null,
  ][] = [
    ["pkg:maven/org.apache.commons/io@1.3.4", "maven", "org.apache.commons", "io", "1.3.4", {}, null],
    ["pkg:maven/org.apache.commons/io", "maven", "org.apache.commons", "io", null, {}, null],
    [
      "pkg:GOLANG/google.golang.org/genproto#/googleapis/api/annotations/",
      "golang",
      "google.golang.org",
      "genproto",
      null,
      {},
      "googleapis/api/annotations",
    ],
    [
      "pkg:GOLANG/google.golang.org/genproto@abcdedf#/googleapis/api/annotations/",
      "golang",
      "google.golang.org",
      "genproto",
      "abcdedf",
      {},
      "googleapis/api/annotations",
    ],
    [
      "pkg:bitbucket/birKenfeld/pyGments-main@244fd47e07d1014f0aed9c",
      "bitbucket",
      "birkenfeld",
      "pygments-main",
      "244fd47e07d1014f0aed9c",
      {},
      null,
    ],
    [
      "pkg:github/Package-url/purl-Spec@244fd47e07d1004f0aed9c",
      "github",
      "package-url",
      "purl-spec",
      "244fd47e07d1004f0aed9c",
      {},
      null,
    ],
    [
      "pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie",
      "deb",
      "debian",
      "curl",
      "7.50.3-1",
      { arch: "i386", distro: "jessie" },
      null,
    ],
    [
      "pkg:docker/customer/dockerimage@sha256:244fd47e07d1004f0aed9c?repository_url=gcr.io",
      "docker",
      "customer",
      "dockerimage",
      "sha256:244fd47e07d1004f0aed9c",
      { repository_url: "gcr.io" },
      null,
    ],
    [
      "pkg:gem/jruby-launcher@1.1.2?Platform=java",
      "gem",
      null,
      "jruby-launcher",
      "1.1.2",
      { platform: "java" },
      null,
    ],
    [
      "pkg:Maven/org.apache.xmlgraphics/batik-anim@1.9.1?classifier=sources&repositorY_url=repo.spring.io/release",
      "maven",
      "org.apache.xmlgraphics",
      "batik-anim",
      "1.9.1",
      { classifier: "sources", repository_url: "repo.spring.io/release" },
      null,
    ],
    ["pkg:npm/%40angular/animation@12.3.1", "npm", "@angular", "animation", "12.3.1", {}, null],
    [
      "pkg:Nuget/EnterpriseLibrary.Common@6.0.1304",
      "nuget",
      null,
      "EnterpriseLibrary.Common",
      "6.0.1304",
      {},
      null,
    ],
    ["pkg:PYPI/Django_package@1.11.1.dev1", "pypi", null, "django-package", "1.11.1.dev1", {}, null],
    [
      "pkg:Rpm/fedora/curl@7.50.3-1.fc25?Arch=i386&Distro=fedora-25",
      "rpm",
      "fedora",
      "curl",
      "7.50.3-1.fc25",
      { arch: "i386", distro: "fedora-25" },
      null,
    ],
    ["pkg:/maven/org.apache.commons/io", "maven", "org.apache.commons", "io", null, {}, null],
    ["pkg://maven/org.apache.commons/io", "maven", "org.apache.commons", "io", null, {}, null],
    ["pkg:///maven/org.apache.commons/io", "maven", "org.apache.commons", "io", null, {}, null],
    ["pkg:maven/HTTPClient/HTTPClient@0.3-3", "maven", "HTTPClient", "HTTPClient", "0.3-3", {}, null],
    [
      "pkg:maven/mygroup/myartifact@1.0.0%20Final?mykey=my%20value",
      "maven",
      "mygroup",
      "myartifact",
      "1.0.0 Final",
      { mykey: "my value" },
      null,
    ],
    [
      "pkg:swift/github.com/Alamofire/Alamofire@5.4.3",
      "swift",
      "github.com/Alamofire",
      "Alamofire",
      "5.4.3",
      {},
      null,
    ],
    [
      "pkg:npm/packageurl-js@0.0.7?vcs_url=git%2Bhttps%3A%2F%2Fgithub.com%2Fpackage-url%2Fpackageurl-js.git",
      "npm",
      null,
      "packageurl-js",
      "0.0.7",
      { vcs_url: "git+https://github.com/package-url/packageurl-js.git" },
      null,
    ],
  ];

  it.each(valid)("parses %s", (purl, type, namespace, name, version, qualifiers, subpath) => {
    const p = parsePurl(purl);
    expect(p.type).toBe(type);
    expect(p.namespace ?? null).toBe(namespace);
    expect(p.name).toBe(name);
    expect(p.version ?? null).toBe(version);
    expect(p.qualifiers).toEqual(qualifiers);
    expect(p.subpath ?? null).toBe(subpath);
  });

  it.each([
    ["EnterpriseLibrary.Common@6.0.1304", /does not start with "pkg:"/],
    ["pkg:EnterpriseLibrary.Common@6.0.1304", /invalid type/],
    ["pkg:maven/@1.3.4", /no package name/],
    ["pkg:hackage", /no package name/],
    ["pkg:npm/myartifact@1.0.0?in%20production=true", /invalid qualifier key/],
    ["pkg:npm/foo@1.0%E0%A4%A", /malformed percent-encoding/],
  ])("rejects %s with an input error naming the purl", (purl, why) => {
    expect(() => parsePurl(purl)).toThrow(AirbagError);
    expect(() => parsePurl(purl)).toThrow(why);
    try {
      parsePurl(purl);
    } catch (e) {
      expect((e as AirbagError).code).toBe("INPUT");
      expect((e as Error).message).toContain('purl "');
      expect((e as Error).message).not.toContain("\n");
    }
  });

  it("keeps an unencoded npm scope without a version as the namespace", () => {
    expect(parsePurl("pkg:npm/@babel/core")).toMatchObject({ namespace: "@babel", name: "core" });
    expect(parsePurl("pkg:npm/@babel/core@7.23.2")).toMatchObject({ namespace: "@babel", version: "7.23.2" });
  });
});

describe("parsePurl: properties", () => {
  // buildPurl splits namespace and subpath on "/"; the parser drops empty, "." and ".." segments
  const segment = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((s) => s !== "." && s !== ".." && !s.includes("/"));
  const key = fc.stringMatching(/^[a-z][a-z0-9._-]{0,8}$/);

  it("reads back every purl Airbag's buildPurl writes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("npm", "maven", "golang", "generic", "cargo", "nuget"),
        fc.option(fc.array(segment, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        fc.string({ minLength: 1, maxLength: 20 }),
        fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        fc.dictionary(key, fc.string({ minLength: 1, maxLength: 12 }), { maxKeys: 3 }),
        fc.option(fc.array(segment, { minLength: 1, maxLength: 3 }), { nil: undefined }),
        (type, ns, name, version, qualifiers, sub) => {
          const namespace = ns?.join("/");
          const subpath = sub?.join("/");
          const p = parsePurl(buildPurl({ type, namespace, name, version, qualifiers, subpath }));
          expect(p).toEqual({
            type,
            ...(namespace ? { namespace } : {}),
            name,
            ...(version ? { version } : {}),
            qualifiers,
            ...(subpath ? { subpath } : {}),
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it("throws nothing but AirbagError on arbitrary input", () => {
    const purlish = fc
      .array(
        fc.constantFrom(
          "pkg:",
          "/",
          "@",
          "?",
          "&",
          "=",
          "#",
          "%",
          "%4",
          "%ZZ",
          "a",
          "Ö",
          ":",
          ".",
          "..",
          " ",
        ),
        {
          maxLength: 20,
        },
      )
      .map((a) => a.join(""));
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), purlish), (s) => {
        try {
          const p = parsePurl(s);
          purlFacts(p);
        } catch (e) {
          expect(e).toBeInstanceOf(AirbagError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe("purlFacts: ecosystems for the matcher", () => {
  it.each([
    ["pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "Debian:12", "libssl3"],
    ["pkg:deb/debian/libmount1@2.38.1-5%2Bdeb12u1?arch=arm64&distro=debian-12.5", "Debian:12", "libmount1"],
    ["pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", "Debian:8", "curl"],
    ["pkg:deb/debian/curl@7.50.3-1?distro=debian-unstable", "Debian", "curl"],
    ["pkg:deb/debian/curl@7.88.1-10?distro=debian-bookworm", "Debian:12", "curl"],
    ["pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?arch=amd64&distro=ubuntu-22.04", "Ubuntu:22.04:LTS", "libc6"],
    ["pkg:deb/ubuntu/libc6@2.38-1ubuntu6?arch=amd64&distro=ubuntu-23.10", "Ubuntu:23.10", "libc6"],
    ["pkg:deb/ubuntu/libc6@2.38-1ubuntu6", "Ubuntu", "libc6"],
    ["pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1", "Alpine:v3.19", "busybox"],
    ["pkg:apk/alpine/busybox@1.37.0-r8?arch=x86_64&distro=3.23.3", "Alpine:v3.23", "busybox"],
    ["pkg:apk/wolfi/glibc@2.38-r1?distro=wolfi-20230201", "Wolfi", "glibc"],
    [
      "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&epoch=1&distro=rhel-9.3",
      "Red Hat",
      "openssl-libs",
    ],
    ["pkg:rpm/rhel/openssl-libs@3.0.7-27.el9?distro=rhel-9.3", "Red Hat", "openssl-libs"],
    ["pkg:rpm/almalinux/bash@5.1.8-9.el9?distro=almalinux-9.4", "AlmaLinux:9", "bash"],
    ["pkg:rpm/alma/bash@5.1.8-9.el9?distro=alma-9.4", "AlmaLinux:9", "bash"],
    ["pkg:rpm/rocky/bash@5.1.8-6.el9_1?distro=rocky-9.3", "Rocky Linux:9", "bash"],
    [
      "pkg:rpm/suse/libopenssl3@3.0.8-150500.5.20.1?distro=sles-15.5",
      "SUSE:Linux Enterprise Server 15 SP5",
      "libopenssl3",
    ],
    ["pkg:rpm/opensuse/bash@4.4-9.10.1?distro=opensuse-leap-15.5", "openSUSE:Leap 15.5", "bash"],
    ["pkg:rpm/centos/bash@4.2.46-31.el7?arch=x86_64&distro=centos-7.6.1810", "rpm", "bash"],
    ["pkg:npm/%40babel/core@7.23.2", "npm", "@babel/core"],
    ["pkg:pypi/Django_Rest.framework@3.14.0", "PyPI", "django-rest-framework"],
    [
      "pkg:golang/github.com/wagoodman/go-partybus@v0.0.0-20230516145632-8ccac152c651",
      "Go",
      "github.com/wagoodman/go-partybus",
    ],
    ["pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "Maven", "org.apache.logging.log4j:log4j-core"],
    ["pkg:gem/activesupport@6.0.2.1", "RubyGems", "activesupport"],
    ["pkg:cargo/regex@1.5.4", "crates.io", "regex"],
    ["pkg:composer/laravel/framework@7.12.0", "Packagist", "laravel/framework"],
    ["pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet", "Newtonsoft.Json"],
    ["pkg:generic/openssl@3.0.11", "generic", "openssl"],
  ])("%s → %s %s", (purl, ecosystem, name) => {
    expect(facts(purl)).toMatchObject({ ecosystem, name });
  });

  it("puts the rpm epoch qualifier into the version, the way rpm and OSV write it", () => {
    const f = facts("pkg:rpm/centos/openssl-libs@1.0.2k-16.el7?arch=x86_64&epoch=1&distro=centos-7.6.1810");
    expect(f).toMatchObject({ version: "1:1.0.2k-16.el7", epoch: 1, arch: "x86_64" });
    expect(facts("pkg:rpm/redhat/bash@5.1.8-9.el9").version).toBe("5.1.8-9.el9");
  });

  it("reads the source package from upstream= (Syft's deb, apk and src.rpm forms)", () => {
    expect(facts("pkg:deb/debian/libssl3@3.0.11-1?upstream=openssl").source).toEqual({ name: "openssl" });
    expect(facts("pkg:deb/debian/libc6@2.36-9?upstream=glibc%402.36-9").source).toEqual({
      name: "glibc",
      version: "2.36-9",
    });
    expect(facts("pkg:apk/alpine/libcrypto3@3.0.8-r3?upstream=openssl&distro=alpine-3.17.3").source).toEqual({
      name: "openssl",
    });
    expect(
      facts("pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?epoch=1&upstream=openssl-3.0.7-27.el9.src.rpm").source,
    ).toEqual({ name: "openssl", version: "1:3.0.7-27.el9" });
  });

  it("uses the document's OS for OS packages without distro=, when the namespace agrees", () => {
    const os = { family: "debian", version: "12", ecosystem: "Debian:12" };
    expect(facts("pkg:deb/debian/bash@5.2.15-2", os).ecosystem).toBe("Debian:12");
    expect(facts("pkg:deb/ubuntu/bash@5.2.15-2", os).ecosystem).toBe("Ubuntu");
    expect(facts("pkg:deb/debian/bash@5.2.15-2?distro=debian-11", os).ecosystem).toBe("Debian:11");
    expect(facts("pkg:npm/bash@1.0.0", os).ecosystem).toBe("npm");
  });

  it.each([
    ["debian-12", undefined, { family: "debian", version: "12" }],
    ["ubuntu-22.04", undefined, { family: "ubuntu", version: "22.04" }],
    ["opensuse-leap-15.5", undefined, { family: "opensuse-leap", version: "15.5" }],
    ["alpine-3.20.0_alpha20250108", undefined, { family: "alpine", version: "3.20.0_alpha20250108" }],
    ["3.19.1", "alpine", { family: "alpine", version: "3.19.1" }],
    ["3.19.1", undefined, undefined],
    ["debian-sid", undefined, { family: "debian", codename: "sid" }],
    ["bookworm", "debian", { family: "debian", codename: "bookworm" }],
    ["wolfi", undefined, { family: "wolfi" }],
  ])("parseDistro(%j, %j)", (d, ns, want) => {
    expect(parseDistro(d, ns)).toEqual(want);
  });
});
