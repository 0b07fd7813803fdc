export * from './environment';
export * from './configuration.module';
export * from './kafka-transport';
export * from './prometheus-scrape.controller';
