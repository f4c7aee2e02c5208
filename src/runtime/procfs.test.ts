import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  containerConnections,
  containerProcesses,
  processesFromTop,
  processesOfContainers,
  readProcess,
} from "./procfs.js";

/**
 * A literal /proc tree in a temp dir, laid out like the real one (stat, comm, cmdline with NULs, exe
 * and ns/pid links, status, cgroup, net/*): a container whose init is PID 100 in its own PID namespace,
 * a child with a deleted executable and a terminal, a process of another container, a process that
 * vanished (directory without files), and a `--pid host` container grouped by cgroup.
 */

const CID = "3253a30ac2e546de66f1865dd2e2df54be3d41ce52ef99dfb8d4d5f540f04002";
const OTHER = "a284702c25cba006fe7ce656d437a57f698a96915e5e8e7030e95725a04f6ba2";
const HOSTCID = "9999aaaa00000000000000000000000000000000000000000000000000000000";
const HOST_NS = "pid:[4026531836]";
const CT_NS = "pid:[4026532326]";

const cgroupV1 = (path: string) =>
  `${["pids", "memory", "cpu,cpuacct"].map((c, i) => `${i + 2}:${c}:${path}`).join("\n")}\n0::${path}\n`;

interface Proc {
  pid: number;
  comm: string;
  argv: string[];
  ppid: number;
  tty?: number;
  uid?: number;
  exe?: string;
  ns: string;
  cgroup: string;
}

let proc: string;

async function writeProc(p: Proc) {
  const dir = join(proc, String(p.pid));
  await mkdir(join(dir, "ns"), { recursive: true });
  // real stat line: comm in parentheses (may hold spaces and ')'), then state, ppid, pgrp, session, tty_nr…
  await writeFile(
    join(dir, "stat"),
    `${p.pid} (${p.comm}) S ${p.ppid} ${p.pid} ${p.pid} ${p.tty ?? 0} -1 4194560 957 0 0 0 3 4 0 0 20 0 1 0 7502083 2322432 324\n`,
  );
  await writeFile(join(dir, "comm"), `${p.comm.slice(0, 15)}\n`);
  await writeFile(join(dir, "cmdline"), p.argv.map((a) => `${a}\0`).join(""));
  await writeFile(
    join(dir, "status"),
    `Name:\t${p.comm}\nPPid:\t${p.ppid}\nUid:\t${p.uid ?? 0}\t${p.uid ?? 0}\t0\t0\n`,
  );
  await writeFile(join(dir, "cgroup"), p.cgroup);
  await symlink(p.ns, join(dir, "ns", "pid"));
  if (p.exe) await symlink(p.exe, join(dir, "exe"));
}

beforeAll(async () => {
  proc = await mkdtemp(join(tmpdir(), "airbag-procfs-"));
  await writeProc({
    pid: 1,
    comm: "systemd",
    argv: ["/sbin/init"],
    ppid: 0,
    ns: HOST_NS,
    cgroup: "0::/init.scope\n",
    exe: "/usr/lib/systemd/systemd",
  });
  await writeProc({
    pid: 100,
    comm: "sleep",
    argv: ["sleep", "600"],
    ppid: 90,
    ns: CT_NS,
    cgroup: cgroupV1(`/libpod_parent/libpod-${CID}`),
    exe: "/bin/busybox",
  });
  await writeProc({
    pid: 140,
    comm: "xmrig (worker)",
    argv: ["/tmp/xmrig", "-o", "stratum+tcp://127.0.0.1:3333", "--pass", "a b"],
    ppid: 100,
    tty: 34816,
    uid: 1000,
    ns: CT_NS,
    cgroup: cgroupV1(`/libpod_parent/libpod-${CID}`),
    exe: "/var/lib/containers/overlay/merged/tmp/xmrig (deleted)",
  });
  await writeProc({
    pid: 200,
    comm: "nginx",
    argv: ["nginx"],
    ppid: 1,
    ns: "pid:[4026532400]",
    cgroup: cgroupV1(`/libpod_parent/libpod-${OTHER}`),
  });
  await mkdir(join(proc, "150", "ns"), { recursive: true }); // exited between readdir and the reads
  await symlink(CT_NS, join(proc, "150", "ns", "pid"));
  // `--pid host` container: host PID namespace, its own cgroup (and a child cgroup below it)
  await writeProc({
    pid: 300,
    comm: "agent",
    argv: ["agent"],
    ppid: 1,
    ns: HOST_NS,
    cgroup: cgroupV1(`/system.slice/docker-${HOSTCID}.scope`),
  });
  await writeProc({
    pid: 301,
    comm: "helper",
    argv: ["helper"],
    ppid: 300,
    ns: HOST_NS,
    cgroup: cgroupV1(`/system.slice/docker-${HOSTCID}.scope/sub`),
  });
  await writeProc({
    pid: 400,
    comm: "bash",
    argv: ["-bash"],
    ppid: 1,
    ns: HOST_NS,
    cgroup: cgroupV1("/user.slice"),
  });
  await mkdir(join(proc, "self"));
  await writeFile(join(proc, "meminfo"), "MemTotal: 1 kB\n");
  const net = join(proc, "100", "net");
  await mkdir(net);
  await writeFile(
    join(net, "tcp"),
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:C11C 0100007F:0D05 01 00000000:00000000 00:00000000 00000000     0        0 881651 1 0000000022b7590f 20 0 0 10 -1\n",
  );
  await writeFile(
    join(net, "tcp6"),
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 00000000000000000000000000000000:0D05 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 881694 1 00000000a922200f 100 0 0 10 0\n",
  );
  // udp and udp6 left out: a kernel without IPv6 or a file we may not read is not an error
});

afterAll(async () => {
  if (proc) await rm(proc, { recursive: true, force: true });
});

describe("containerProcesses", () => {
  it("finds init and its PID-namespace siblings, with argv, exe, deleted flag, uid, tty, ppid", async () => {
    const ps = await containerProcesses(100, {
      procRoot: proc,
      containerId: CID,
      containerRoot: "/var/lib/containers/overlay/merged/",
    });
    expect(ps?.map((p) => p.pid)).toEqual([100, 140]);
    expect(ps?.[0]).toEqual({
      pid: 100,
      ppid: 90,
      comm: "sleep",
      argv: ["sleep", "600"],
      exe: "/bin/busybox",
      uid: 0,
      tty: false,
    });
    expect(ps?.[1]).toEqual({
      pid: 140,
      ppid: 100,
      comm: "xmrig (worker)",
      argv: ["/tmp/xmrig", "-o", "stratum+tcp://127.0.0.1:3333", "--pass", "a b"],
      exe: "/tmp/xmrig",
      exeDeleted: true,
      uid: 1000,
      tty: true,
    });
  });

  it("groups a --pid host container by cgroup (its own and below), not by the shared namespace", async () => {
    const ps = await containerProcesses(300, { procRoot: proc, containerId: HOSTCID });
    expect(ps?.map((p) => p.pid)).toEqual([300, 301]);
  });

  it("recognises the host namespace from /proc/self when PID 1's link is unreadable", async () => {
    const link1 = join(proc, "1", "ns", "pid");
    const self = join(proc, "self", "ns");
    await rm(link1);
    await mkdir(self);
    await symlink(HOST_NS, join(self, "pid"));
    try {
      const ps = await containerProcesses(300, { procRoot: proc, containerId: HOSTCID });
      expect(ps?.map((p) => p.pid)).toEqual([300, 301]);
    } finally {
      await rm(self, { recursive: true });
      await symlink(HOST_NS, link1);
    }
  });

  it("answers undefined when /proc cannot tell: no such PID, or init's cgroup names another container", async () => {
    expect(await containerProcesses(4242, { procRoot: proc })).toBeUndefined();
    expect(await containerProcesses(100, { procRoot: proc, containerId: OTHER })).toBeUndefined();
    expect(await containerProcesses(100, { procRoot: join(proc, "nonexistent") })).toBeUndefined();
  });

  it("serves several containers from one pass, undefined for the ones /proc cannot show", async () => {
    const lists = await processesOfContainers(
      [
        { initPid: 100, containerId: CID },
        { initPid: 200, containerId: OTHER },
        { initPid: 300 },
        { initPid: 4242 },
      ],
      { procRoot: proc },
    );
    expect(lists.map((l) => l?.map((p) => p.pid))).toEqual([[100, 140], [200], [300, 301], undefined]);
  });

  it("is bounded by maxProcesses", async () => {
    expect(await containerProcesses(100, { procRoot: proc, maxProcesses: 1 })).toHaveLength(1);
  });

  it("skips a process that vanished mid-read", async () => {
    expect(await readProcess(150, { procRoot: proc })).toBeUndefined();
  });
});

describe("containerConnections", () => {
  it("reads init's network namespace files that exist", async () => {
    expect(await containerConnections(100, { procRoot: proc })).toEqual([
      {
        proto: "tcp",
        local: { ip: "127.0.0.1", port: 49436 },
        remote: { ip: "127.0.0.1", port: 3333 },
        state: "ESTABLISHED",
      },
      { proto: "tcp6", local: { ip: "::", port: 3333 }, remote: { ip: "::", port: 0 }, state: "LISTEN" },
    ]);
    expect(await containerConnections(200, { procRoot: proc })).toBeUndefined();
  });
});

describe("processesFromTop", () => {
  it("reads Docker's default ps columns", () => {
    const ps = processesFromTop({
      Titles: ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"],
      Processes: [
        ["root", "2316", "2295", "0", "07:33", "?", "00:00:00", "sleep 600"],
        ["1000", "2400", "2316", "0", "07:34", "pts/0", "00:00:00", "/bin/sh -i"],
      ],
    });
    expect(ps).toEqual([
      { pid: 2316, ppid: 2295, comm: "sleep", argv: ["sleep", "600"], tty: false },
      { pid: 2400, ppid: 2316, comm: "sh", argv: ["/bin/sh", "-i"], uid: 1000, tty: true },
    ]);
  });

  it("reads busybox ps's {comm} prefix (podman runs ps inside the container) and an empty answer", () => {
    const ps = processesFromTop({
      Titles: ["PID", "USER", "TIME", "COMMAND"],
      Processes: [["7", "root", "0:05", "{xmrig} /bin/sh /tmp/xmrig -o stratum+tcp://127.0.0.1:3333"]],
    });
    expect(ps).toEqual([
      { pid: 7, comm: "xmrig", argv: ["/bin/sh", "/tmp/xmrig", "-o", "stratum+tcp://127.0.0.1:3333"] },
    ]);
    expect(processesFromTop(undefined)).toEqual([]);
  });
});
