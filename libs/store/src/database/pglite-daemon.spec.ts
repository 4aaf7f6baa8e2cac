import { daemonSupported, encodeFrame, FrameDecoder, MAX_SOCKET_PATH } from './pglite-daemon';

describe('daemon frames', () => {
  it('decodes frames cut anywhere, and several in one chunk, with their values intact', () => {
    const messages = [
      { id: 1, sql: 'SELECT $1', params: [new Date('2026-11-26T08:00:00Z')] },
      { id: 2, rows: [{ n: 1n, s: 'é'.repeat(1000) }], rowCount: 1 },
      { hello: { build: 'abc', pid: 7 } },
    ];
    const bytes = Buffer.concat(messages.map(encodeFrame));
    for (const cut of [1, 3, 4, 5, 17, bytes.length - 1]) {
      const decoder = new FrameDecoder();
      const decoded = [...decoder.push(bytes.subarray(0, cut)), ...decoder.push(bytes.subarray(cut))];
      expect(decoded).toEqual(messages);
    }
    expect(new FrameDecoder().push(bytes)).toEqual(messages);
  });
});

describe('daemonSupported', () => {
  it('needs a Unix socket: not on Windows, not at a path longer than sockets take', () => {
    expect(daemonSupported('/home/me/.aoe/store.sock', 'linux')).toBe(true);
    expect(daemonSupported('/home/me/.aoe/store.sock', 'win32')).toBe(false);
    expect(daemonSupported(`/${'x'.repeat(MAX_SOCKET_PATH)}`, 'darwin')).toBe(false);
  });
});
