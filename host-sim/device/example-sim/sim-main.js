// The lin (mcsim) main of the example charger: the firmware's own main
// (examples/charger/main.ts, as module charger/main) started by the simulated
// board, which then plays the scripted day (host-sim/device/example-sim/day.ts).
import firmware from 'charger/main';
import { startDay } from 'roam-sim-board';

startDay(firmware);
