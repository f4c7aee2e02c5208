import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  AdmissionInputError,
  admissionResponse,
  parseAdmissionReview,
  readableUid,
  warningLine,
} from "./review.js";

const fixture = (name: string): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/admission/${name}.json`, import.meta.url), "utf8"));

/** the object at `path` below request.object, for editing a fixture */
function at(body: Record<string, unknown>, ...path: (string | number)[]): Record<string, unknown> {
  let v = (body.request as Record<string, unknown>).object;
  for (const k of path) v = (v as Record<string | number, unknown>)[k];
  return v as Record<string, unknown>;
}

const images = (name: string) => parseAdmissionReview(fixture(name)).images.map((i) => [i.field, i.image]);

describe("parseAdmissionReview", () => {
  it("reads a Pod CREATE: uid, operation, namespace and every container image", () => {
    const r = parseAdmissionReview(fixture("pod-create"));
    expect(r).toMatchObject({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: "Pod",
      operation: "CREATE",
      namespace: "team-a",
      name: "web-0",
      dryRun: false,
    });
    expect(r.images).toEqual([
      { field: "spec.containers[0]", container: "web", image: "registry.example.com/team-a/web:1.4.2" },
      {
        field: "spec.containers[1]",
        container: "metrics",
        image:
          "registry.example.com/team-a/exporter@sha256:0b1f2e3d4c5b6a79880716253443526170819fa0b1c2d3e4f5a6b7c8d9e0f1a2",
      },
    ]);
  });

  it("finds init containers and containers in a Deployment's pod template", () => {
    expect(images("deployment-create")).toEqual([
      ["spec.template.spec.initContainers[0]", "registry.example.com/team-b/migrate:2.0"],
      ["spec.template.spec.containers[0]", "registry.example.com/team-b/api:2.0"],
      ["spec.template.spec.containers[1]", "nginx:1.25"],
    ]);
  });

  it("follows a CronJob through jobTemplate to the pod template", () => {
    expect(images("cronjob-create")).toEqual([
      ["spec.jobTemplate.spec.template.spec.containers[0]", "registry.example.com/team-c/report:7"],
    ]);
  });

  it("on UPDATE keeps the old object's images apart", () => {
    const r = parseAdmissionReview(fixture("deployment-update"));
    expect(r.operation).toBe("UPDATE");
    expect(r.images.map((i) => i.image)).toEqual(["registry.example.com/team-b/api:2.1", "nginx:1.25"]);
    expect([...r.previousImages]).toEqual(["registry.example.com/team-b/api:2.0", "nginx:1.25"]);
  });

  it("reads dryRun and ephemeral containers", () => {
    const r = parseAdmissionReview(fixture("pod-dryrun"));
    expect(r.dryRun).toBe(true);
    expect(r.images.map((i) => i.field)).toEqual(["spec.containers[0]", "spec.ephemeralContainers[0]"]);
  });

  it("has no images for DELETE and for kinds without pods", () => {
    const del = fixture("pod-create");
    const req = del.request as Record<string, unknown>;
    expect(
      parseAdmissionReview({ ...del, request: { ...req, operation: "DELETE", object: null } }).images,
    ).toEqual([]);
    const cm = {
      ...del,
      request: { ...req, kind: { group: "", version: "v1", kind: "ConfigMap" }, object: { data: {} } },
    };
    expect(parseAdmissionReview(cm).images).toEqual([]);
  });

  it.each([
    [null, "body is not a JSON object", undefined],
    [
      { apiVersion: "admission.k8s.io/v1beta1", kind: "AdmissionReview", request: { uid: "u1" } },
      "apiVersion",
      "u1",
    ],
    [{ apiVersion: "admission.k8s.io/v1", kind: "Pod" }, "kind", undefined],
    [{ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, "request is missing", undefined],
    [
      { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { uid: "" } },
      "request.uid",
      undefined,
    ],
    [
      {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: { uid: "u2", operation: "PATCH" },
      },
      "request.operation",
      "u2",
    ],
  ])("refuses %j naming the field", (body, field, uid) => {
    let err: unknown;
    try {
      parseAdmissionReview(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AdmissionInputError);
    expect((err as AdmissionInputError).message).toContain(field);
    expect((err as AdmissionInputError).message).not.toContain("\n");
    expect((err as AdmissionInputError).uid).toBe(uid);
  });

  it("refuses a container without an image, with the uid still readable", () => {
    const body = fixture("deployment-create");
    delete at(body, "spec", "template", "spec", "containers", 1).image;
    expect(() => parseAdmissionReview(body)).toThrow(
      /request\.object: spec\.template\.spec\.containers\[1\]\.image is missing/,
    );
    expect(readableUid(body)).toBe("b3c1f2a0-8d7e-4f6a-9c2b-1e0d3f4a5b6c");
  });

  it("refuses a pod spec whose containers is not a list, and pods with too many containers", () => {
    const body = fixture("pod-create");
    at(body, "spec").containers = { image: "x" };
    expect(() => parseAdmissionReview(body)).toThrow(/spec\.containers is not a list/);
    at(body, "spec").containers = Array.from({ length: 600 }, (_, i) => ({
      name: `c${i}`,
      image: "a:1",
    }));
    expect(() => parseAdmissionReview(body)).toThrow(/more than 512 containers/);
  });
});

describe("admissionResponse", () => {
  it("answers in kind with the uid copied", () => {
    expect(admissionResponse("u-1", { allowed: false, status: { code: 403, message: "no" } })).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u-1", allowed: false, status: { code: 403, message: "no" } },
    });
  });

  it("keeps warnings on one line within 120 characters", () => {
    const w = warningLine(`airbag:\n${"x".repeat(300)}`);
    expect(w.length).toBe(120);
    expect(w).not.toContain("\n");
    expect(warningLine("short")).toBe("short");
  });
});
