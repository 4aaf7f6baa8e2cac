import { z } from 'zod';
import { AnyEnvelope } from './envelope';
import { Messages } from './catalogue';
import { PipelinePlan } from './pipeline-plan';
import { SourceProfile } from './source-profile';
import { SourceRegistration, SourceSpec } from './source-spec';
import { TargetSpec } from './target-spec';

/** Entities and messages whose JSON Schema is published under contracts/json-schema/. */
export function jsonSchemaSources(): Record<string, z.ZodType> {
  const entities: Record<string, z.ZodType> = {
    envelope: AnyEnvelope,
    'source-spec': SourceSpec,
    'source-registration': SourceRegistration,
    'source-profile': SourceProfile,
    'target-spec': TargetSpec,
    'pipeline-plan': PipelinePlan,
  };
  const messages = Object.fromEntries(Object.values(Messages).map((d) => [`message.${d.type}`, d.payload] as const));
  return { ...entities, ...messages };
}

/** Each contract rendered as a JSON Schema document (input shape: what a producer may send). */
export function renderJsonSchemas(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(jsonSchemaSources()).map(([name, schema]) => {
      const doc = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
      return [
        `${name}.schema.json`,
        JSON.stringify({ $id: `https://aoe.dev/schemas/${name}.json`, ...doc }, null, 2) + '\n',
      ];
    }),
  );
}
