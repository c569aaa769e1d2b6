/** `npm run bench:webhooks`: the webhooks section of `npm run bench` alone (see bench/webhooks.ts). */
import './env.js';
import { runAlone } from './alone.js';
import { runWebhooksBench } from './webhooks.js';

runAlone(runWebhooksBench);
