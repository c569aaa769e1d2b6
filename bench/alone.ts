/**
 * One section of `npm run bench` as a command of its own (`npm run bench:<section>`): prints its
 * report and exits 0, or prints why it failed and exits 1. The exit is explicit: Agenda's job
 * processor leaves a timer running for lockLifetime/2 after a job ran.
 */
export function runAlone(section: () => Promise<string>): void {
  section().then(
    (report) => {
      console.log('');
      console.log(report);
      process.exit(0);
    },
    (err: Error) => {
      console.error(`[bench] FAILED: ${err.stack ?? err.message}`);
      process.exit(1);
    },
  );
}
