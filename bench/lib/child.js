/**
 * Child process side of measure.js runTaskInChild: receives { moduleUrl, task, args } over IPC, imports
 * the module (untimed), runs `tasks[task](args)` (timed) and replies { ms, cpuMs, peakRssMB, result }.
 */
process.once("message", async ({ moduleUrl, task, args }) => {
  try {
    const mod = await import(moduleUrl);
    const fn = mod.tasks?.[task];
    if (typeof fn !== "function") throw new Error(`${moduleUrl} has no task "${task}"`);
    const before = process.resourceUsage();
    const started = performance.now();
    const result = await fn(args);
    const ms = performance.now() - started;
    const usage = process.resourceUsage();
    const peakRssMB = usage.maxRSS / 1024;
    // CPU time of the task in the whole process (main thread, GC and libuv/zlib threads)
    const cpuMs =
      (usage.userCPUTime + usage.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1000;
    process.send({ ms, cpuMs, peakRssMB, result: result ?? null }, () => process.exit(0));
  } catch (err) {
    process.send({ error: err?.stack ?? String(err) }, () => process.exit(1));
  }
});
