// Bench preload (`node --import ./loop-stats.js …`, or NODE_OPTIONS): what makes a process's tail.
// Records event-loop delay (perf_hooks.monitorEventLoopDelay) and GC pauses (PerformanceObserver
// 'gc' entries — what --trace-gc prints, as numbers). On SIGUSR2 it prints one line
//   BENCHSTATS {"loopP50Ms","loopP99Ms","loopMaxMs","gcMsPerSec","gcMaxMs","gcCount","seconds"}
// for the time since the previous SIGUSR2 (or start), then starts a new window.
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

// The histogram records the time between the sampling timer's runs, so it includes the
// resolution itself: subtracted below, the figures are the delay beyond it.
const RESOLUTION_MS = 2;
const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
loop.enable();
let gcMs = 0;
let gcMax = 0;
let gcCount = 0;
let since = performance.now();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount += 1;
    if (e.duration > gcMax) gcMax = e.duration;
  }
}).observe({ entryTypes: ['gc'] });

const ms = (ns) => Math.max(0, Math.round(ns / 1e4) / 100 - RESOLUTION_MS);
process.on('SIGUSR2', () => {
  const seconds = (performance.now() - since) / 1000;
  const stats = {
    loopP50Ms: ms(loop.percentile(50)),
    loopP99Ms: ms(loop.percentile(99)),
    loopMaxMs: ms(loop.max),
    gcMsPerSec: Math.round((gcMs / seconds) * 100) / 100,
    gcMaxMs: Math.round(gcMax * 100) / 100,
    gcCount,
    seconds: Math.round(seconds * 100) / 100,
  };
  process.stdout.write(`BENCHSTATS ${JSON.stringify(stats)}\n`);
  loop.reset();
  gcMs = 0;
  gcMax = 0;
  gcCount = 0;
  since = performance.now();
});
