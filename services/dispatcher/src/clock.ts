import { systemClock, type Clock } from '@aoe/store';

/** Injection token of the dispatcher's clock (tests pass a fixed one). */
export const DISPATCHER_CLOCK = Symbol('aoe.dispatcher.clock');

export const clockProvider = { provide: DISPATCHER_CLOCK, useValue: systemClock satisfies Clock };
