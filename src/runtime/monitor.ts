import { EngineApiError, type EngineClient } from "../engine/index.js";
import type { Detection } from "../model/index.js";
import { followEvents, sleep } from "./events.js";
import { ContainerInventory, type InventoryChange } from "./inventory.js";
import {
  containerConnections,
  containerProcesses,
  type ProcOptions,
  processesOfContainers,
  topActivity,
} from "./procfs.js";
import {
  type CgroupCpuSource,
  cgroupCpuSource,
  cpuPercent,
  type EngineStats,
  memoryBytes,
  readCgroupCpuNs,
  readStats,
} from "./stats.js";
import type {
  Connection,
  ContainerSample,
  ContainerState,
  DetectorContext,
  EngineEvent,
  ProcessInfo,
  RuntimeDetector,
} from "./types.js";

/**
 * The monitor's input loop: keeps the inventory of running containers from the engine's event stream
 * (resuming after outages), samples each container every interval (stats → CPU %, processes and
 * connections from /proc or `/top`, filesystem changes every few rounds), feeds detectors, and hands
 * every detection to the responder (policy, actions, alerts, audit). It never acts itself.
 */

/** What a sampling round already knows about one container before sampling it. */
interface RoundPass {
  /** from the round's /proc pass (undefined: /proc cannot show this container) */
  procs?: ProcessInfo[];
  /** cgroup CPU counter read at the start of the round */
  usage?: { ns: number | undefined; at: number };
  /** set for a quiet container: its last /proc read, reused */
  quiet?: { processes: ProcessInfo[]; connections?: Connection[] };
}

export interface Responder {
  /** one detection; must not throw (failures are the responder's to record) */
  handle(d: Detection): Promise<void>;
  /** periodic: cooldown summaries and approval timeouts */
  tick(now: number): Promise<void>;
}

export interface MonitorLoopOptions {
  client: EngineClient;
  detectors: RuntimeDetector[];
  responder: Responder;
  signal: AbortSignal;
  /** sampling period (default 5 s) */
  sampleIntervalMs?: number;
  /** read `/changes` every N samples (drift; default 3, 0 = never) */
  changesEvery?: number;
  /**
   * a container whose cgroup CPU counter has not moved since its last /proc read cannot have started a
   * process, opened a connection or written a file (all take CPU charged to its cgroup), so its last
   * processes and connections are reused and /changes is not asked — but at least every N rounds
   * everything is read again (default 12; 1 = always read)
   */
  fullReadEvery?: number;
  proc?: ProcOptions;
  /** a DB file to watch: a change triggers onDatabaseChange (new CVEs on running images) */
  watchDb?: () => Promise<number | undefined>;
  dbPollMs?: number;
  ctx: DetectorContext;
  warn(message: string): void;
  /** extra samples this long after a container starts (default 0.5 s and 2 s) */
  earlySamplesMs?: number[];
  /** test hook: called after every sampling round */
  onRound?(n: number): void;
  /** the running containers after the first listing and after every change (fleet inventory snapshots) */
  onInventory?(containers: ContainerState[]): void;
}

export class MonitorLoop {
  readonly inventory: ContainerInventory;
  private readonly prevStats = new Map<string, EngineStats>();
  private readonly prevUsage = new Map<string, { ns: number; at: number }>();
  /** each container's cgroup CPU counter file, found once (null: not visible here, ask /stats) */
  private readonly cpuSources = new Map<string, CgroupCpuSource | null>();
  /** per container: CPU counter and round of the last /proc read, what it showed; counter at the last /changes */
  private readonly lastRead = new Map<
    string,
    { ns: number; round: number; processes: ProcessInfo[]; connections?: Connection[] }
  >();
  private readonly changesAt = new Map<string, number>();
  private rounds = 0;
  private readonly early = new Set<NodeJS.Timeout>();

  constructor(private readonly o: MonitorLoopOptions) {
    this.inventory = new ContainerInventory(o.client);
  }

  private async raise(list: Detection[] | Promise<Detection[]> | undefined): Promise<void> {
    for (const d of (await list) ?? []) await this.o.responder.handle(d);
  }

  private async detectorCall(name: string, fn: () => Detection[] | Promise<Detection[]> | undefined) {
    try {
      await this.raise(fn());
    } catch (err) {
      this.o.warn(`detector ${name}: ${(err as Error).message}`);
    }
  }

  private async onChange(change: InventoryChange): Promise<void> {
    const c = change.state;
    this.o.onInventory?.(this.inventory.list());
    if (change.kind === "removed") {
      this.prevStats.delete(c.ref.id);
      this.prevUsage.delete(c.ref.id);
      this.cpuSources.delete(c.ref.id);
      this.lastRead.delete(c.ref.id);
      this.changesAt.delete(c.ref.id);
      for (const d of this.o.detectors) d.forget?.(c.ref.id);
      return;
    }
    if (change.kind === "added") {
      for (const d of this.o.detectors)
        if (d.onContainer) await this.detectorCall(d.name, () => d.onContainer?.(c, this.o.ctx));
      // a fresh container is sampled soon after it starts, not only at the next round: a miner that
      // starts with the container is caught in about a second whatever the interval
      for (const ms of this.o.earlySamplesMs ?? [500, 2000]) {
        const t = setTimeout(() => {
          this.early.delete(t);
          if (!this.o.signal.aborted && this.inventory.get(c.ref.id)) void this.sampleOne(c, ms === 500);
        }, ms);
        this.early.add(t);
      }
    }
  }

  /**
   * Sample one container and feed the detectors. `pass` is what the round's /proc pass found for it
   * (`procs` undefined: /proc cannot show this container); an early sample outside a round reads /proc
   * for it alone.
   */
  private async sampleOne(c: ContainerState, withChanges: boolean, pass?: RoundPass): Promise<void> {
    const found = pass
      ? pass.procs
      : c.pid
        ? await containerProcesses(c.pid, { ...this.o.proc, containerId: c.ref.id }).catch(() => undefined)
        : undefined;
    const s = await this.sample(c, withChanges, found, pass).catch((err: Error) => {
      this.o.warn(`sample ${c.ref.name}: ${err.message}`);
      return undefined;
    });
    if (!s) return;
    for (const d of this.o.detectors)
      if (d.onSample) await this.detectorCall(d.name, () => d.onSample?.(c, s, this.o.ctx));
  }

  private async onEvent(e: EngineEvent): Promise<void> {
    const change = await this.inventory.apply(e).catch((err: Error) => {
      this.o.warn(`inventory: ${err.message}`);
      return undefined;
    });
    if (change) await this.onChange(change);
    const c = e.type === "container" ? this.inventory.get(e.id) : undefined;
    for (const d of this.o.detectors)
      if (d.onEvent) await this.detectorCall(d.name, () => d.onEvent?.(e, c, this.o.ctx));
  }

  private cpuSourceOf(c: ContainerState): CgroupCpuSource | undefined {
    if (!c.pid) return undefined;
    let src = this.cpuSources.get(c.ref.id);
    if (src === undefined) {
      src = cgroupCpuSource(c.pid, this.o.proc?.procRoot) ?? null;
      this.cpuSources.set(c.ref.id, src);
    }
    return src ?? undefined;
  }

  /** One sample of one container: CPU from two stats readings, processes, connections, changes. */
  async sample(
    c: ContainerState,
    withChanges: boolean,
    procs?: ProcessInfo[],
    pass: RoundPass = {},
  ): Promise<ContainerSample> {
    const id = c.ref.id;
    // processes come from /proc (the round's one pass, or the last one for a quiet container); the
    // engine's /top only when /proc cannot show them
    const activity = pass.quiet
      ? Promise.resolve(pass.quiet)
      : procs
        ? containerConnections(c.pid ?? 0, this.o.proc).then(
            (connections) => ({ processes: procs, ...(connections ? { connections } : {}) }),
            () => ({ processes: procs }),
          )
        : topActivity(this.o.client, id);
    // CPU from the cgroup files when this host shows them (no HTTP call), else from the engine's /stats
    const cpuSource = this.cpuSourceOf(c);
    const { ns: usage, at } = pass.usage ?? {
      ns: cpuSource ? readCgroupCpuNs(cpuSource) : undefined,
      at: performance.now(),
    };
    // nothing ran in the container since /changes was last read: nothing can have changed
    const askChanges = withChanges && (usage === undefined || this.changesAt.get(id) !== usage);
    if (askChanges && usage !== undefined) this.changesAt.set(id, usage);
    const [stats, act, changes] = await Promise.all([
      usage === undefined ? readStats(this.o.client, id).catch(() => undefined) : Promise.resolve(undefined),
      activity,
      askChanges
        ? this.o.client
            .json<{ Path?: string; Kind?: number }[] | null>(
              "GET",
              `/containers/${encodeURIComponent(id)}/changes`,
            )
            .catch((err) => (err instanceof EngineApiError ? undefined : Promise.reject(err)))
        : Promise.resolve(undefined),
    ]);
    const s: ContainerSample = { at: this.o.ctx.now() };
    if (usage !== undefined) {
      const prev = this.prevUsage.get(id);
      if (prev && at > prev.at && usage >= prev.ns)
        s.cpuPercent = ((usage - prev.ns) / 1e6 / (at - prev.at)) * 100;
      this.prevUsage.set(id, { ns: usage, at });
    } else if (stats) {
      const pct = cpuPercent(this.prevStats.get(id), stats);
      if (pct !== undefined) s.cpuPercent = pct;
      const mem = memoryBytes(stats);
      if (mem !== undefined) s.memoryBytes = mem;
      this.prevStats.set(id, stats);
    }
    if ("processes" in act && act.processes) s.processes = act.processes;
    if ("connections" in act && act.connections) s.connections = act.connections;
    if (pass.usage?.ns !== undefined && procs && !pass.quiet)
      this.lastRead.set(id, {
        ns: pass.usage.ns,
        round: this.rounds,
        processes: procs,
        ...(s.connections ? { connections: s.connections } : {}),
      });
    if (changes)
      s.changes = changes
        .filter((x) => typeof x.Path === "string" && (x.Kind === 0 || x.Kind === 1 || x.Kind === 2))
        .map((x) => ({ path: x.Path as string, kind: x.Kind as 0 | 1 | 2 }));
    return s;
  }

  private async sampleAll(): Promise<void> {
    const every = this.o.changesEvery ?? 3;
    const withChanges = every > 0 && this.rounds % every === 0;
    const list = this.inventory.list();
    const fullEvery = this.o.fullReadEvery ?? 12;
    // each container's CPU counter first: the quiet ones (counter unchanged since their last /proc
    // read) are left out of this round's /proc pass
    const passes = new Map<string, RoundPass>();
    for (const c of list) {
      const src = this.cpuSourceOf(c);
      const ns = src ? readCgroupCpuNs(src) : undefined;
      const pass: RoundPass = ns === undefined ? {} : { usage: { ns, at: performance.now() } };
      const last = this.lastRead.get(c.ref.id);
      if (last && ns !== undefined && last.ns === ns && this.rounds - last.round < fullEvery) {
        pass.procs = last.processes;
        pass.quiet = {
          processes: last.processes,
          ...(last.connections ? { connections: last.connections } : {}),
        };
      }
      passes.set(c.ref.id, pass);
    }
    const withPid = list.filter((c) => (c.pid ?? 0) > 0 && !passes.get(c.ref.id)?.quiet);
    const procs = withPid.length
      ? await processesOfContainers(
          withPid.map((c) => ({ initPid: c.pid ?? 0, containerId: c.ref.id })),
          this.o.proc,
        ).catch(() => [] as (ProcessInfo[] | undefined)[])
      : [];
    withPid.forEach((c, i) => {
      const found = procs[i];
      const pass = passes.get(c.ref.id);
      if (found && pass) pass.procs = found;
    });
    for (const c of list) {
      if (this.o.signal.aborted) return;
      const pass = passes.get(c.ref.id) ?? {};
      await this.sampleOne(c, withChanges, pass);
    }
    this.rounds++;
  }

  private async samplingLoop(): Promise<void> {
    const period = this.o.sampleIntervalMs ?? 5000;
    while (!this.o.signal.aborted) {
      const started = Date.now();
      await this.sampleAll();
      await this.o.responder.tick(this.o.ctx.now());
      this.o.onRound?.(this.rounds);
      await sleep(Math.max(0, period - (Date.now() - started)), this.o.signal);
    }
  }

  private async dbLoop(): Promise<void> {
    const watch = this.o.watchDb;
    if (!watch) return;
    let last = await watch();
    while (!this.o.signal.aborted) {
      await sleep(this.o.dbPollMs ?? 30_000, this.o.signal);
      const now = await watch();
      if (now === undefined || now === last) continue;
      last = now;
      const running = this.inventory.list();
      for (const d of this.o.detectors)
        if (d.onDatabaseChange)
          await this.detectorCall(d.name, () => d.onDatabaseChange?.(running, this.o.ctx));
    }
  }

  /** Runs until the signal aborts. */
  async run(): Promise<void> {
    const since = Math.floor(Date.now() / 1000);
    for (const change of await this.inventory.refresh()) await this.onChange(change);
    this.o.onInventory?.(this.inventory.list());
    let lost = false;
    await Promise.all([
      followEvents(this.o.client, {
        since,
        signal: this.o.signal,
        onEvent: (e) => this.onEvent(e),
        onState: (s) => {
          if (s.state === "connected" && lost) {
            lost = false;
            // events missed are replayed by `since`; refresh catches containers gone meanwhile too
            void this.inventory.refresh().then(
              async (changes) => {
                for (const ch of changes) await this.onChange(ch);
              },
              (err: Error) => this.o.warn(`inventory refresh: ${err.message}`),
            );
          } else if (s.state !== "connected") {
            if (!lost) this.o.warn(`engine events: ${s.state} (${s.reason})`);
            lost = true;
          }
        },
      }),
      this.samplingLoop(),
      this.dbLoop(),
    ]);
    for (const t of this.early) clearTimeout(t);
  }
}
