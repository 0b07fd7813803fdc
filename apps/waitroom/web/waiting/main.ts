import './style.css';
import { byId, readPageConfig } from '../shared/dom';
import type { WaitingPageConfig } from '../../src/pages/waiting-page.messages';

const config = readPageConfig<WaitingPageConfig>();
byId<HTMLButtonElement>('join').disabled = false;
console.debug('waiting page', config.event_id);
