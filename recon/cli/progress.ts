/** A progress bar on stderr (stage, percentage, ETA), drawn only on a terminal. */
import type { Progress } from '../pipeline/options.ts';
import type { CliIo } from './command.ts';

export function progressBar(io: CliIo, write: (s: string) => void = (s) => process.stderr.write(s)): { update: (p: Progress) => void; done: () => void } {
  if (!io.stderrIsTty) return { update: () => {}, done: () => {} };
  const t0 = performance.now();
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = performance.now();
      if (now - last < 100 && p.fraction < 1) return;
      last = now;
      const width = 30;
      const filled = Math.round(width * Math.min(1, p.fraction));
      const elapsed = (now - t0) / 1000;
      const eta = p.fraction > 0.02 && p.fraction < 1 ? ` ETA ${Math.ceil((elapsed * (1 - p.fraction)) / p.fraction)} s` : '';
      write(`\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(100 * p.fraction).toFixed(0).padStart(3)}% ${p.stage}${eta}`);
      drawn = true;
    },
    done() {
      if (drawn) write('\r\x1b[2K');
    },
  };
}
