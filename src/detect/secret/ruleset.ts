import { KeywordIndex } from "./keywords.js";
import type { SecretRule, SecretRulePack } from "./rules.js";

/**
 * The rules that apply to one kind of file, with their keyword prefilter. A file is "text" or "binary"
 * (binary files only get rules marked `binary: true`) and some rules apply to certain paths only
 * (`.npmrc`, `.docker/config.json`, `.env`); rule sets are built once per combination and cached.
 */

export interface RuleSet {
  rules: SecretRule[];
  index: KeywordIndex;
  /** keyword index → rules (positions in `rules`) to evaluate near it */
  evaluate: number[][];
  /** keyword index → bit flags of `requires` keywords it satisfies */
  requireBit: number[];
  /** per rule: the bits its `requires` keywords need (0: none) */
  requiredBits: number[];
}

export type FileMode = "text" | "binary";

export class RuleSets {
  private readonly cache = new Map<string, RuleSet>();
  /** rules with `paths`, in pack order */
  private readonly gated: SecretRule[];

  /** all path conditions in one regex: most files match none, and one test per file says so */
  private readonly anyGated: RegExp;

  constructor(readonly pack: SecretRulePack) {
    this.gated = pack.rules.filter((r) => r.paths !== undefined);
    const sources = this.gated.flatMap((r) => r.paths!.map((p) => `(?:${p.source})`));
    this.anyGated = sources.length ? new RegExp(sources.join("|")) : /(?!)/;
  }

  /** The path-gated rules matching `path` (runs for every file: one combined test first). */
  gatedFor(path: string): SecretRule[] {
    if (!this.anyGated.test(path)) return [];
    return this.gated.filter((r) => r.paths!.some((p) => p.test(path)));
  }

  get(mode: FileMode, gated: SecretRule[]): RuleSet {
    const key = `${mode}:${gated.map((r) => r.order).join(",")}`;
    let set = this.cache.get(key);
    if (!set) {
      const chosen = new Set(gated);
      set = build(
        this.pack.rules.filter(
          (r) => (r.paths === undefined || chosen.has(r)) && (mode === "text" || r.binary),
        ),
      );
      this.cache.set(key, set);
    }
    return set;
  }
}

function build(rules: SecretRule[]): RuleSet {
  const keywords: string[] = [];
  const slot = new Map<string, number>();
  const keywordSlot = (k: string): number => {
    const folded = k.toLowerCase();
    let i = slot.get(folded);
    if (i === undefined) {
      i = keywords.push(k) - 1;
      slot.set(folded, i);
    }
    return i;
  };
  const evaluate: number[][] = [];
  const requireBit: number[] = [];
  const requiredBits: number[] = [];
  const bitOf = new Map<string, number>();
  rules.forEach((rule, r) => {
    for (const k of rule.keywords) {
      const i = keywordSlot(k);
      evaluate[i] ??= [];
      evaluate[i].push(r);
    }
    let bits = 0;
    for (const k of rule.requires) {
      const folded = k.toLowerCase();
      let bit = bitOf.get(folded);
      if (bit === undefined) {
        bit = 1 << bitOf.size;
        if (bit === 0 || bitOf.size >= 30) throw new Error("too many distinct `requires` keywords (max 30)");
        bitOf.set(folded, bit);
      }
      const i = keywordSlot(k);
      requireBit[i] = (requireBit[i] ?? 0) | bit;
      bits |= bit;
    }
    requiredBits.push(bits);
  });
  for (let i = 0; i < keywords.length; i++) {
    evaluate[i] ??= [];
    requireBit[i] ??= 0;
  }
  return { rules, index: new KeywordIndex(keywords), evaluate, requireBit, requiredBits };
}
