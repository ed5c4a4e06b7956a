/** An energy meter per connector: cumulative register in watt-hours, never decreasing. */
export interface EnergyMeter {
  readWh(connector: number): number;
}
