import { jetstreamManager, jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Streams, type StreamName } from '@aoe/contracts';
import { testNatsUrl, uniqueName } from '@aoe/testing';
import { JetStreamBus, Namespace } from '../src';
import type { Bus } from '../src';
import { busContractSuite } from './bus-contract';

busContractSuite('jetstream', () => {
  let servers: string;
  let namespace: string;
  let admin: NatsConnection;
  return {
    setup: async () => {
      servers = await testNatsUrl();
      namespace = uniqueName('t');
      admin = await connect({ servers });
    },
    replica: () => JetStreamBus.connect({ servers, namespace }),
    crash: async (bus: Bus) => {
      await (bus as JetStreamBus).nats.close();
    },
    publishRaw: async (subject, data) => {
      await jetstream(admin).publish(new Namespace(namespace).subject(subject), data);
    },
    teardown: async () => {
      const jsm = await jetstreamManager(admin);
      const ns = new Namespace(namespace);
      for (const name of Object.keys(Streams) as StreamName[]) {
        await jsm.streams.delete(ns.stream(name)).catch(() => undefined);
      }
      await admin.close();
    },
  };
});
