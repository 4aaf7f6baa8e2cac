import type { ValueProvider } from '@nestjs/common';
import { systemClock, type Clock } from '@aoe/store';

/** Injection token of "now": the freshness check and alert times; tests fix it. */
export const CLOCK = Symbol('monitor.clock');

export const clockProvider: ValueProvider<Clock> = { provide: CLOCK, useValue: systemClock };
