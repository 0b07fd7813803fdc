/**
 * The JSON bodies of the HTTP API, as types only: what the service answers (its views are declared
 * with them) and what its browser pages read (apps/waitroom/web imports them), so both are
 * checked against one definition. No runtime code and no decorators here: the pages' bundles
 * include nothing of it.
 */
export * from './errors';
export * from './session';
export * from './event';
export * from './history';
