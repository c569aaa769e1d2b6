/** `npm run bench:webhooks`: the webhooks section of `npm run bench` alone (see bench/webhooks.ts). */
import './env.js';
import { runWebhooksBench } from './webhooks.js';

runWebhooksBench().then(
  (report) => {
    console.log(report);
    process.exit(0);
  },
  (err: Error) => {
    console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
