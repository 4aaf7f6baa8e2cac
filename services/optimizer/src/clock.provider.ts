import type { ValueProvider } from '@nestjs/common';
import { systemClock, type Clock } from '@aoe/store';

/** Injection token of "now", so tests can fix the time optimized plans are stamped with. */
export const CLOCK = Symbol('optimizer.clock');

export const clockProvider: ValueProvider<Clock> = { provide: CLOCK, useValue: systemClock };
