import { Global, Module } from '@nestjs/common';
import { ActiveEvents } from './active-events';
import { EventRegistry } from './event-registry';
import { ScheduledCloses } from './scheduled-closes';

/**
 * Which events exist (the registry), which have work (the active set) and which close by
 * themselves at a given time (scheduled closes): global, like Redis itself.
 */
@Global()
@Module({
  providers: [EventRegistry, ActiveEvents, ScheduledCloses],
  exports: [EventRegistry, ActiveEvents, ScheduledCloses],
})
export class RegistryModule {}
