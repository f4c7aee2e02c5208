import { existsSync, statSync } from "node:fs";
import { type AdvisoryLookup, matchInventory } from "../match/matcher.js";
import { type Inventory, SEVERITIES, type Severity } from "../model/index.js";
import { catalog } from "../scan.js";
import { VulnDb } from "../vulndb/index.js";
import type { ImageVerdict, ImageVerdicts } from "./detectors/image-trust.js";

/**
 * What the monitor knows about running images: each image's inventory, read once per image id through
 * the engine (`engine:<id>`, layer cache on) and kept; the vulnerability DB (reopened when `db update`
 * renames a new file over it); verdicts = the image's vulnerabilities against that DB.
 */
export class ImageFacts implements ImageVerdicts {
  private readonly inventories = new Map<string, Promise<Inventory | undefined>>();
  private db?: { lookup: VulnDb; mtimeMs: number };

  constructor(private readonly o: { engine?: string; dbPath: string; warn(m: string): void }) {}

  /** mtime of the DB file, for the monitor's change watch */
  async dbVersion(): Promise<number | undefined> {
    try {
      return statSync(this.o.dbPath).mtimeMs;
    } catch {
      return undefined;
    }
  }

  lookup(): AdvisoryLookup {
    const mtime = existsSync(this.o.dbPath) ? statSync(this.o.dbPath).mtimeMs : -1;
    if (!this.db || this.db.mtimeMs !== mtime) {
      this.db?.lookup.close();
      this.db = { lookup: VulnDb.open(this.o.dbPath, { readonly: true }), mtimeMs: mtime };
    }
    return this.db.lookup;
  }

  inventory(imageId: string): Promise<Inventory | undefined> {
    let p = this.inventories.get(imageId);
    if (!p) {
      p = catalog(`engine:${imageId}`, {
        ...(this.o.engine ? { engine: this.o.engine } : {}),
        cache: true,
        onWarning: () => {},
      }).catch((err: Error) => {
        this.o.warn(`image ${imageId.slice(0, 19)}: ${err.message}`);
        this.inventories.delete(imageId); // asked again next time
        return undefined;
      });
      this.inventories.set(imageId, p);
    }
    return p;
  }

  async verdict(imageId: string): Promise<ImageVerdict | undefined> {
    const inv = await this.inventory(imageId);
    if (!inv) return undefined;
    const counts: Partial<Record<Severity, number>> = {};
    for (const f of matchInventory(inv, this.lookup())) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
    const worstSeverity = SEVERITIES.find((s) => (counts[s] ?? 0) > 0);
    return { scanned: true, counts, ...(worstSeverity ? { worstSeverity } : {}) };
  }

  close(): void {
    this.db?.lookup.close();
  }
}
