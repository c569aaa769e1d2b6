/** `npm run bench:notify`: the notifications section of `npm run bench` alone (see bench/notify.ts). */
import './env.js';
import { runNotifyBench } from './notify.js';

runNotifyBench().then(
  (report) => {
    console.log(report);
    process.exit(0);
  },
  (err: Error) => {
    console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
