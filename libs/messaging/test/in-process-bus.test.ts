import { InProcessBroker, InProcessBus } from '../src';
import type { Bus } from '../src';
import { busContractSuite } from './bus-contract';

busContractSuite('in-process', () => {
  let broker: InProcessBroker;
  return {
    setup: async () => {
      broker = new InProcessBroker();
    },
    replica: async () => new InProcessBus(broker),
    crash: async (bus: Bus) => (bus as InProcessBus).crash(),
    publishRaw: async (subject, data) => {
      broker.publish(subject, data, {}, `raw-${Math.random()}`);
    },
    teardown: async () => broker.close(),
  };
});
