import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  Messages,
  Streams,
  deadLetterSubject,
  definitionForSubject,
  definitionForType,
  messageCatalogue,
  streamForSubject,
  subjectMatches,
} from './catalogue';
import { renderJsonSchemas } from './json-schema';

describe('subject catalogue', () => {
  it('maps every type to one subject, and every subject to its own stream', () => {
    const types = messageCatalogue.map((d) => d.type);
    expect(new Set(types).size).toBe(types.length);
    for (const d of messageCatalogue) {
      expect(Streams[d.stream].subjects.some((s) => subjectMatches(s, d.subject))).toBe(true);
      expect(definitionForType(d.type)).toBe(d);
    }
    expect(definitionForSubject('aoe.evt.run.failed')).toBe(Messages.RunFailed);
    expect(definitionForSubject(deadLetterSubject('gateway'))).toBe(Messages.DeadLettered);
    expect(definitionForSubject('aoe.evt.unknown')).toBeUndefined();
    expect(streamForSubject('aoe.cmd.run.requested')).toBe('AOE_CMD');
    expect(streamForSubject('elsewhere')).toBeUndefined();
  });

  it('matches NATS wildcards', () => {
    expect(subjectMatches('aoe.evt.run.*', 'aoe.evt.run.failed')).toBe(true);
    expect(subjectMatches('aoe.evt.run.*', 'aoe.evt.run.failed.x')).toBe(false);
    expect(subjectMatches('aoe.evt.>', 'aoe.evt.run.failed')).toBe(true);
    expect(subjectMatches('aoe.evt.>', 'aoe.evt')).toBe(false);
    expect(subjectMatches('aoe.cmd.run', 'aoe.cmd.run')).toBe(true);
    expect(subjectMatches('aoe.cmd.run', 'aoe.cmd')).toBe(false);
  });

  it('keeps a safe dead-letter subject for any service name', () => {
    expect(deadLetterSubject('source-analysis')).toBe('aoe.dlq.source-analysis');
    expect(deadLetterSubject('a.b>*')).toBe('aoe.dlq.a_b__');
  });
});

describe('checked-in JSON Schema', () => {
  it('is up to date with the zod contracts (run `npm run contracts:generate`)', () => {
    const dir = join(__dirname, '..', 'json-schema');
    const expected = renderJsonSchemas();
    expect(readdirSync(dir).sort()).toEqual(Object.keys(expected).sort());
    for (const [file, text] of Object.entries(expected)) {
      expect({ file, text: readFileSync(join(dir, file), 'utf8') }).toEqual({ file, text });
    }
  });
});
