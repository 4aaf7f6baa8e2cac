import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Bus } from '../bus';

/** Injection token of the platform bus (`@Inject(BUS) bus: Bus`). */
export const BUS = Symbol('aoe.bus');

class BusShutdown implements OnApplicationShutdown {
  constructor(private readonly bus: Bus) {}
  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/** Makes a connected bus injectable; `closeOnShutdown` when this module owns it. */
@Module({})
export class BusModule {
  static forRoot(bus: Bus, options: { closeOnShutdown?: boolean } = {}): DynamicModule {
    const providers = [{ provide: BUS, useValue: bus }];
    if (options.closeOnShutdown) providers.push({ provide: BusShutdown, useValue: new BusShutdown(bus) } as never);
    return { module: BusModule, global: true, providers, exports: [BUS] };
  }
}
