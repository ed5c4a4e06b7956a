/**
 * An energy meter per connector: cumulative register in watt-hours, never
 * decreasing. Sessions take every reading through src/sessions `readMeter`: a
 * fraction is truncated to whole Wh; a reading above 2^53 − 1 Wh (MAX_METER_WH)
 * is refused and recorded as 'O' (out of range), one that is not a number, is
 * negative, or throws as 'F' (read error). Throwing is how an implementation
 * refuses a reading it knows is wrong.
 */
export interface EnergyMeter {
  readWh(connector: number): number;
}
