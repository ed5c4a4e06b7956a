// One charger's roaming module wired once for every platform (device, Node, XS):
// token store, authorizer with a persisted local list, sessions, journal, sync.
export { Charger, type BootReport, type ChargerStatus, type ConnectorStatus, type LocalListUpdateStatus, type Presented } from './charger.js';
export { DEFAULT_PARTITIONS, type ChargerOptions, type PartitionNames } from './options.js';
export { LocalListStore, LocalListStoreError, LOCAL_LIST_HEADER_BYTES } from './local-list-store.js';
export type { BackgroundOptions } from './background.js';
export { Roam, RoamError, type Closeable, type RoamCoreOptions, type RoamErrorCode, type RoamParts, type RoamReader } from './roam.js';
export { Emitter, eventLine, type EnergyStop, type FaultSource, type ListApplied, type RoamFault, type RoamHooks, type SessionEnded, type SessionStarted } from './events.js';
