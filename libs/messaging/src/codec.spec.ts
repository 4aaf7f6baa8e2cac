import { Messages } from '@aoe/contracts';
import { decodeMessage, describeBytes, encodeMessage, uuidFromText } from './codec';

describe('codec', () => {
  it('derives stable RFC-shaped UUIDs', () => {
    const id = uuidFromText('service|stream|42');
    expect(id).toBe(uuidFromText('service|stream|42'));
    expect(id).not.toBe(uuidFromText('service|stream|43'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('keeps non-UTF-8 bytes as base64 for a dead letter', () => {
    expect(describeBytes(new Uint8Array([0xff, 0xfe]))).toEqual({ originalData: '//4=', originalEncoding: 'base64' });
    expect(describeBytes(new TextEncoder().encode('{}'))).toEqual({ originalData: '{}', originalEncoding: 'utf-8' });
  });

  it('round-trips an envelope and rejects one on the wrong subject', () => {
    const out = encodeMessage(
      Messages.RunCancelRequested,
      { runId: 'r', reason: 'user' },
      { correlationId: 'c' },
      undefined,
    );
    const decoded = decodeMessage(out.subject, out.data, [Messages.RunCancelRequested, Messages.RunRequested]);
    expect(decoded).toMatchObject({ ok: true, envelope: { payload: { runId: 'r' } } });
    const misplaced = decodeMessage('aoe.cmd.run.requested', out.data, [Messages.RunRequested]);
    expect(misplaced).toMatchObject({ ok: false });
    expect(decodeMessage('aoe.other', out.data, [Messages.RunRequested])).toEqual({
      ok: false,
      reason: 'no contract handles subject "aoe.other"',
    });
  });

  it('needs a concrete subject for wildcard definitions', () => {
    const letter = {
      service: 's',
      originalSubject: 'x',
      originalData: '',
      originalEncoding: 'utf-8' as const,
      originalHeaders: {},
      reason: 'r',
      kind: 'invalid-message' as const,
      attempts: 1,
      failedAt: new Date().toISOString(),
    };
    expect(() => encodeMessage(Messages.DeadLettered, letter, { correlationId: 'c' }, undefined)).toThrow(
      /concrete subject/,
    );
    expect(() =>
      encodeMessage(Messages.DeadLettered, letter, { correlationId: 'c', subject: 'aoe.cmd.x' }, undefined),
    ).toThrow(/not a subject of dead-letter/);
    expect(
      encodeMessage(Messages.DeadLettered, letter, { correlationId: 'c', subject: 'aoe.dlq.s' }, undefined).subject,
    ).toBe('aoe.dlq.s');
  });
});
