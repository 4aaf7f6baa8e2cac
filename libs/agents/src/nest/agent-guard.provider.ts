import type { FactoryProvider } from '@nestjs/common';
import { BUS, type Bus } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';
import { AgentGuard } from '../agent-guard';
import type { AgentGuardApi } from '../agent-guard.types';
import { BusDecisionSink, StoreDecisionSink } from '../decision-sinks';

/** Injection token of the guard every agent decision goes through (`@Inject(AGENT_GUARD)`). */
export const AGENT_GUARD = Symbol('aoe.agent-guard');

/**
 * One guard per service module: decisions go to the store and the bus, and a
 * decision another replica already stored for the same input is reused.
 */
export const agentGuardProvider: FactoryProvider<AgentGuardApi> = {
  provide: AGENT_GUARD,
  useFactory: (store: Store, bus: Bus, telemetry: Telemetry) =>
    new AgentGuard({
      sinks: [new StoreDecisionSink(store.decisions), new BusDecisionSink(bus)],
      history: store.decisions,
      logger: telemetry.logger,
    }),
  inject: [Store, BUS, Telemetry],
};
