import { normalRuns } from './fixtures/runs';
import { detectRunAnomalies, DEFAULT_DETECTION, expectedInterval } from '../src';
it("fp", () => {
let flagged = 0, total = 0; const kinds: Record<string, number> = {};
for (let s = 0; s < 300; s++) {
  const runs = normalRuns({ seed: `s${s}`, count: 60 });
  for (let i = 0; i < runs.length; i++) {
    const hist = runs.slice(0, i);
    const interval = expectedInterval(undefined, hist.map(r => r.finishedAt), new Date(runs[i].finishedAt), 8);
    const f = detectRunAnomalies(runs[i], hist, interval, DEFAULT_DETECTION);
    total++; if (f.length && i > 40 && f[0].kind.startsWith('volume') && flagged < 40) console.log(JSON.stringify(f[0].evidence), runs[i].rowsRead, hist.slice(-5).map(r=>r.rowsRead)); if (f.length) { flagged++; for (const x of f) { const b = x.kind + ':' + (i < 12 ? 'a<12' : i < 20 ? 'b<20' : i < 40 ? 'c<40' : 'd<60'); kinds[b] = (kinds[b] ?? 0) + 1; } }
  }
}

console.log({ flagged, total, kinds });
});
