/** `npm run bench:inbound`: the inbound mail section of `npm run bench` alone (see bench/inbound.ts). */
import './env.js';
import { runInboundBench } from './inbound.js';

runInboundBench().then(
  (report) => {
    console.log(report);
    process.exit(0);
  },
  (err: Error) => {
    console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
