// Loads what startRoam loads (the charger core, the device signer, settings,
// MQTT transport) and reports the XS heap before and after, collected: the RAM
// a firmware pays at boot for roam's modules. Run twice by
// host-sim/device/preload-ram.ts: with roam's manifest as it is (everything
// preloaded) and with the same manifest minus the preloads of roam, cbor-x
// and fflate (loaded at run time).
import Debug from "debug";
import Instrumentation from "instrumentation";

function heap() {
	Debug.gc();
	const get = (name) => Instrumentation.get(Instrumentation.map(name));
	return `slots=${get("XS Slot Heap Used")} chunks=${get("XS Chunk Heap Used")} modules=${get("XS Modules Loaded")}`;
}

const before = heap();
Promise.all(["roam/src/charger/index", "roam/hal/moddable/crypto", "roam/hal/moddable/settings", "roam/hal/moddable/transport", "roam/hal/moddable/globals"].map((m) => import(m)))
	.then(() => trace(`@ram before ${before} after ${heap()}\n@ram end\n`), (e) => trace(`@ram error ${e}\n@ram end\n`));
