/**
 * FIRST EPSS scores (https://www.first.org/epss/data_stats): CSV, usually gzip'd, starting with a comment
 * line `#model_version:v2025.03.14,score_date:2025-06-01T12:55:00Z`, then the header `cve,epss,percentile`.
 * Lines are streamed; a malformed line is skipped with a warning (the first few are named).
 */
import type { AdvisorySink, EpssEntry } from "../types.js";
import type { ImportContext } from "./common.js";

export interface EpssCounts {
  records: number;
  skipped: number;
  modelVersion?: string;
  scoreDate?: string;
}

const MAX_WARNINGS = 10;

/** A line-at-a-time EPSS parser; feed it lines, read `counts`. Never throws. */
export class EpssParser {
  readonly counts: EpssCounts = { records: 0, skipped: 0 };
  private columns: { cve: number; epss: number; percentile: number } | undefined;
  private line = 0;
  constructor(
    private readonly file: string,
    private readonly sink: AdvisorySink,
    private readonly ctx: ImportContext,
  ) {}

  push(raw: string): void {
    this.line++;
    const text = raw.replace(/\r$/, "").trim();
    if (text === "") return;
    if (text.startsWith("#")) {
      for (const part of text.slice(1).split(",")) {
        const i = part.indexOf(":");
        const [k, v] = [part.slice(0, i).trim(), part.slice(i + 1).trim()];
        if (k === "model_version") this.counts.modelVersion = v;
        else if (k === "score_date") this.counts.scoreDate = v;
      }
      return;
    }
    const cells = text.split(",").map((c) => c.trim());
    if (!this.columns) {
      const lower = cells.map((c) => c.toLowerCase());
      const [cve, epss, percentile] = ["cve", "epss", "percentile"].map((n) => lower.indexOf(n)) as [
        number,
        number,
        number,
      ];
      if (cve >= 0 && epss >= 0 && percentile >= 0) {
        this.columns = { cve, epss, percentile };
        return;
      }
      this.columns = { cve: 0, epss: 1, percentile: 2 }; // headerless: the documented column order
    }
    const c = this.columns;
    const entry: EpssEntry = {
      cve: cells[c.cve] ?? "",
      score: Number(cells[c.epss]),
      percentile: Number(cells[c.percentile]),
    };
    const ok =
      /^CVE-\d{4}-\d+$/.test(entry.cve) &&
      cells[c.epss] !== "" &&
      cells[c.percentile] !== "" &&
      entry.score >= 0 &&
      entry.score <= 1 &&
      entry.percentile >= 0 &&
      entry.percentile <= 1;
    if (!ok) {
      if (++this.counts.skipped <= MAX_WARNINGS)
        this.ctx.warn(`${this.file}:${this.line}: not an EPSS row (cve,epss,percentile); skipped`);
      return;
    }
    this.sink.epss(entry);
    this.counts.records++;
  }

  /** A closing warning when more lines were skipped than were named. */
  end(): EpssCounts {
    if (this.counts.skipped > MAX_WARNINGS)
      this.ctx.warn(`${this.file}: ${this.counts.skipped - MAX_WARNINGS} more malformed EPSS lines skipped`);
    return this.counts;
  }
}

/** Parse a whole EPSS CSV text (tests, small files); the importer streams instead. */
export function parseEpssText(
  text: string,
  file: string,
  sink: AdvisorySink,
  ctx: ImportContext,
): EpssCounts {
  const p = new EpssParser(file, sink, ctx);
  for (const line of text.split("\n")) p.push(line);
  return p.end();
}

/** First bytes of a CSV look like EPSS? */
export const looksLikeEpss = (head: string): boolean =>
  /^#model_version/.test(head) || /^cve,epss,percentile/im.test(head.split("\n").slice(0, 3).join("\n"));
