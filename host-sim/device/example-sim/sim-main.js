// The lin (mcsim) main of the example charger: the firmware's own main
// (examples/charger/main.ts, as module charger/main) started by the simulated
// board, which then plays the scripted day (host-sim/device/example-sim/day.ts).
// Imported here at run time, so that an error while loading is told, not an abort.
Promise.all([import('charger/main'), import('roam-sim-board')])
	.then(([firmware, board]) => board.startDay(firmware.default))
	.catch((e) => {
		trace(`@day error ${e?.name}: ${e?.message}\n`);
		trace('@day end\n');
	});
