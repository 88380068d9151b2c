/**
 * Stream every acquisition of an ISMRMRD file and report throughput and memory:
 * run in its own process (`npx tsx recon/bench/read-memory.ts FILE`) so that the
 * WASM heap starts fresh and its growth is the reader's alone.
 */
import { h5 } from '../io/ismrmrd/h5-module.ts';
import { openIsmrmrd } from '../io/ismrmrd/reader.ts';

export interface ReadMemoryReport {
  rows: number;
  bytes: number;
  seconds: number;
  acquisitionsPerSec: number;
  wasmHeapStartMB: number;
  wasmHeapEndMB: number;
  rssStartMB: number;
  rssPeakMB: number;
}

export async function measureRead(file: string, blockSize = 256): Promise<ReadMemoryReport> {
  const MB = 1024 * 1024;
  const M = await h5();
  const r = await openIsmrmrd(file);
  const heap0 = M.HEAPU8.length;
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  let rows = 0;
  let bytes = 0;
  const t0 = performance.now();
  for (const b of r.blocks({ blockSize })) {
    for (const a of b.acquisitions) bytes += a.data.byteLength;
    rows += b.acquisitions.length;
    peak = Math.max(peak, process.memoryUsage().rss);
  }
  const seconds = (performance.now() - t0) / 1000;
  r.close();
  return {
    rows,
    bytes,
    seconds,
    acquisitionsPerSec: rows / seconds,
    wasmHeapStartMB: heap0 / MB,
    wasmHeapEndMB: M.HEAPU8.length / MB,
    rssStartMB: rss0 / MB,
    rssPeakMB: peak / MB,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: read-memory.ts FILE.h5\n');
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(await measureRead(file))}\n`);
}
