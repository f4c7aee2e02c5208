import { cleanAirbagError, jsonBody, load, neverThrows } from "./common.mjs";

const { parseAdmissionReview } = await load("server/admission/review.js");
const { parseRegistryEnvelope } = await load("server/routes/registry-events.js");
const { importOsvDocument } = await load("vulndb/importers/osv.js");
const { importNvd } = await load("vulndb/importers/nvd.js");
const { importSecdb } = await load("vulndb/importers/alpine-secdb.js");
const { importDebianTracker } = await load("vulndb/importers/debian-tracker.js");

const ctx = { warn() {}, now: () => new Date(0) };
// the store's side of an import: what the sink is handed must still be a well-formed advisory
const sink = {
  advisory(a) {
    const bad =
      typeof a?.id !== "string" ||
      a.id === "" ||
      !Array.isArray(a.affected) ||
      !Array.isArray(a.aliases) ||
      a.affected.some(
        (x) => typeof x.ecosystem !== "string" || typeof x.package !== "string" || !Array.isArray(x.ranges),
      );
    if (bad) throw new Error(`malformed advisory handed to the store: ${JSON.stringify(a).slice(0, 200)}`);
  },
  kev() {},
  epss() {},
};

const json = (name, corpus, clean, run) => ({
  name,
  corpus,
  kind: "json",
  clean,
  run: (buf) => {
    const body = jsonBody(buf);
    if (body !== undefined) return run(body);
  },
});

/**
 * Network-facing parsers. AdmissionReview and registry envelopes answer bad bodies with an
 * AirbagError (→ HTTP 400); the feed importers never throw (bad records are warnings and skipped).
 */
export const targets = [
  json("admission-review", "admission-review", cleanAirbagError, (b) => parseAdmissionReview(b)),
  json("registry-events", "registry-events", cleanAirbagError, (b) => parseRegistryEnvelope(b)),
  json("osv", "osv", neverThrows, (b) => importOsvDocument(b, "fuzz.json", sink, ctx)),
  json("nvd", "nvd", neverThrows, (b) => importNvd(b, "fuzz.json", sink, ctx)),
  json("alpine-secdb", "alpine-secdb", neverThrows, (b) => importSecdb(b, "fuzz.json", sink, ctx)),
  json("debian-tracker", "debian-tracker", neverThrows, (b) =>
    importDebianTracker(b, "fuzz.json", sink, ctx),
  ),
];
