/** The recon progress bar: drawn only on a terminal, cleared at the end. */
import { describe, expect, it } from 'vitest';
import { progressBar } from '../../recon/cli/progress.ts';
import type { CliIo } from '../../recon/cli/command.ts';

const io = (tty: boolean): CliIo => ({ stdout: () => {}, stderr: () => {}, stderrIsTty: tty });

describe('progressBar', () => {
  it('draws nothing when stderr is not a terminal', () => {
    const written: string[] = [];
    const bar = progressBar(io(false), (s) => written.push(s));
    bar.update({ stage: 'reading', fraction: 0.5 });
    bar.update({ stage: 'done', fraction: 1 });
    bar.done();
    expect(written).toEqual([]);
  });

  it('on a terminal: one redrawn line with stage and percentage, the last state always drawn, then cleared', () => {
    const written: string[] = [];
    const bar = progressBar(io(true), (s) => written.push(s));
    bar.update({ stage: 'reading and preparing', fraction: 0.25 });
    bar.update({ stage: 'reading and preparing', fraction: 0.3 }); // within 100 ms: skipped
    bar.update({ stage: 'done', fraction: 1 }); // the end is always drawn
    bar.done();
    expect(written).toHaveLength(3);
    expect(written[0]).toMatch(/^\r\x1b\[2K\[#{8}-{22}\]  25% reading and preparing/);
    expect(written[1]).toMatch(/^\r\x1b\[2K\[#{30}\] 100% done$/);
    expect(written[2]).toBe('\r\x1b[2K');
    for (const w of written) expect(w).not.toContain('\n');
  });
});
