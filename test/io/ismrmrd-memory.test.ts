/**
 * Streaming keeps memory flat: reading a ≥ 300 MB file block by block must not grow
 * the WASM heap or the process beyond a few blocks' worth (h5wasm's high-level
 * slice() would leak ~68 KB per acquisition here, i.e. > 600 MB).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Acquisition } from '../../shared/ismrmrd.ts';
import type { ReadMemoryReport } from '../../recon/bench/read-memory.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { readAll } from '../helpers/ismrmrd.ts';
import { generateSheppLogan, run, tempDir } from '../helpers/peers.ts';

const READ_MEMORY = join(import.meta.dirname, '..', '..', 'recon', 'bench', 'read-memory.ts');
const REGISTER_TS = join(import.meta.dirname, '..', '..', 'recon', 'hosts', 'register-ts.mjs');

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const MB = 1024 * 1024;

describe('ISMRMRD streaming memory', () => {
  it('reads a 300+ MB file with flat memory', async () => {
    const seed = join(tmp.dir, 'seed.h5');
    generateSheppLogan(seed, { matrix: 128, coils: 32 });
    const { xml, acqs } = await readAll(seed, 256);
    const line = acqs[acqs.length - 1]!; // 32 coils × 256 samples = 64 KB of samples
    const rows = Math.ceil((310 * MB) / line.data.byteLength);
    const big = join(tmp.dir, 'big.h5');
    // A generator: the writer must not need the whole run in memory either.
    function* many(): Generator<Acquisition> {
      for (let i = 0; i < rows; i++) yield { ...line, head: { ...line.head, scanCounter: i } };
    }
    await writeIsmrmrd(big, xml, many(), { blockSize: 256 });
    expect(statSync(big).size).toBeGreaterThan(300 * MB);

    // Measure in a fresh process: its WASM heap starts small, so any growth is the reader's.
    const report = JSON.parse(run(process.execPath, ['--import', REGISTER_TS, READ_MEMORY, big])) as ReadMemoryReport;
    expect(report.rows).toBe(rows);
    expect(report.bytes).toBe(rows * line.data.byteLength);
    const heapGrowth = report.wasmHeapEndMB - report.wasmHeapStartMB;
    const rssGrowth = report.rssPeakMB - report.rssStartMB;
    // One block is 256 × 64 KB = 16 MB; allow a few blocks of slack for GC timing.
    expect(heapGrowth).toBeLessThan(48);
    expect(rssGrowth).toBeLessThan(160);
  }, 180_000);
});
