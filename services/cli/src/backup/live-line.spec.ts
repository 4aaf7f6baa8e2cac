import { Writable } from 'node:stream';
import { liveLine } from './live-line';

function capture(isTTY: boolean) {
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.text += chunk.toString();
        done();
      },
    }),
    { text: '', isTTY, columns: 30 },
  );
  return out;
}

describe('liveLine', () => {
  it('rewrites one line on a terminal, cut to its width, and clears it at the end', () => {
    const out = capture(true);
    const line = liveLine(out, 0);
    line.update('backing up aoe.runs… 1.0 MB written');
    line.update('backing up aoe.task_runs… 2.0 MB');
    line.end();
    expect(out.text).toBe('\r\x1b[Kbacking up aoe.runs… 1.0 MB w\r\x1b[Kbacking up aoe.task_runs… 2.0\r\x1b[K');
  });

  it('prints plain lines, at most one per interval, when the output is not a terminal', () => {
    const out = capture(false);
    const line = liveLine(out, 60_000);
    line.update('first');
    line.update('second, too soon');
    line.end();
    expect(out.text).toBe('first\n');
  });
});
