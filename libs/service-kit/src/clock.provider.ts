import type { ValueProvider } from '@nestjs/common';
import { systemClock, type Clock } from '@aoe/store';

/** Injection token of "now" (`@Inject(CLOCK) clock: Clock`), so tests can fix time. */
export const CLOCK = Symbol('aoe.clock');

export const clockProvider: ValueProvider<Clock> = { provide: CLOCK, useValue: systemClock };
