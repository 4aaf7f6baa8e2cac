import type { ValueProvider } from '@nestjs/common';
import { systemClock, type Clock } from '@aoe/store';

/** Injection token of "now", so tests can fix the time plans are stamped with. */
export const CLOCK = Symbol('planner.clock');

export const clockProvider: ValueProvider<Clock> = { provide: CLOCK, useValue: systemClock };
