import type { FactoryProvider } from '@nestjs/common';
import { AgentGuard, BusDecisionSink, StoreDecisionSink, type AgentGuardApi } from '@aoe/agents';
import { BUS, type Bus } from '@aoe/messaging';
import { Store } from '@aoe/store';
import { Telemetry } from '@aoe/telemetry';

/** Injection token of the guard every monitor judgement goes through. */
export const AGENT_GUARD = Symbol('monitor.agent-guard');

/** One guard per process: decisions go to the store and the bus. */
export const agentGuardProvider: FactoryProvider<AgentGuardApi> = {
  provide: AGENT_GUARD,
  useFactory: (store: Store, bus: Bus, telemetry: Telemetry) =>
    new AgentGuard({
      sinks: [new StoreDecisionSink(store.decisions), new BusDecisionSink(bus)],
      logger: telemetry.logger,
    }),
  inject: [Store, BUS, Telemetry],
};
