/**
 * ISO 8601 durations restricted to weeks, days, hours, minutes and seconds ("P3D", "PT24H", "PT2S"),
 * the units help desks state their timers in. Months and years are refused: their length varies.
 */
const PATTERN = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Returns the duration in milliseconds, or undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const m = PATTERN.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, w, d, h, min, s] = m;
  const ms =
    (Number(w ?? 0) * 7 * 86400 + Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min ?? 0) * 60) *
      1000 +
    Math.round(Number(s ?? 0) * 1000);
  return ms;
}

export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`Not an ISO 8601 duration: ${text}`);
  return ms;
}
