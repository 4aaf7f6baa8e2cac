import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/** Parses a request body with its contract; a 400 lists every zod issue. */
export class ZodBodyPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(
    private readonly schema: S,
    private readonly name: string,
  ) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new BadRequestException({
      statusCode: 400,
      error: 'invalid-request',
      message: `request body is not a valid ${this.name}`,
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        code: issue.code,
        message: issue.message,
      })),
    });
  }
}
