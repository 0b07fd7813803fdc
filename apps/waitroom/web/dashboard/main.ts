import './style.css';
import type { DashboardPageConfig } from '../../src/pages/dashboard.config';
import { Announcer, byId, readPageConfig } from '../shared/dom';
import { AdminApi } from './api';
import { EventView } from './event-view';
import { KeyGate } from './key-gate';
import { ListView } from './list-view';
import { applyRole } from './role';

/**
 * The operator dashboard (src/pages/dashboard.controller.ts renders the shells): the admin key is
 * asked once and kept in the tab (KeyGate), then the list of events or one event's page polls the
 * admin API. Every message for people goes through the one aria-live status region.
 */
const config = readPageConfig<DashboardPageConfig>();
const announcer = new Announcer(byId('status'));
const announce = (message: string) => announcer.say(message);

let gate: KeyGate | null = null;
const api = new AdminApi(
  config.api_base,
  () => gate?.current() ?? null,
  (error) => gate?.refused(error),
  (role) => applyRole(role, announce),
);
gate = new KeyGate(async (key) => {
  await api.request('GET', '/admin/events', undefined, key);
}, announce);

if (config.view === 'event' && config.event_id) new EventView(api, gate, config.event_id, announce).start();
else new ListView(api, gate, config.dashboard_base, announce).start();
gate.start();
