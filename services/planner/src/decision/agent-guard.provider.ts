import type { FactoryProvider } from '@nestjs/common';
import { AgentGuard, BusDecisionSink, StoreDecisionSink, type AgentGuardApi } from '@aoe/agents';
import { BUS, type Bus } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';

/** Injection token of the guard every planner decision goes through. */
export const AGENT_GUARD = Symbol('planner.agent-guard');

/** One guard per process: decisions go to the store and the bus; stored model decisions are reused. */
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
