import { Global, Module } from '@nestjs/common';
import { ActiveEvents } from './active-events';
import { EventRegistry } from './event-registry';

/** Which events exist (the registry) and which have work (the active set): global, like Redis itself. */
@Global()
@Module({
  providers: [EventRegistry, ActiveEvents],
  exports: [EventRegistry, ActiveEvents],
})
export class RegistryModule {}
