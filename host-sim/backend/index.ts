// The backend peer: compiles and serves partner token lists, stores and
// verifies uploaded records, answers real-time authorization.
export { BackendPeer, type BackendCounters, type BackendOptions } from './peer.js';
export { RecordStore, type DeviceRecordReport, type RecordProblem, type StoredRecord } from './record-store.js';
export { ocpiDiffBuilder, SiteList, type DiffBuilder, type SiteImage } from './site-list.js';
export { generateOcpiTokens, readOcpiTokenFile, type GenerateOptions, type OcpiToken, type PartnerList } from './ocpi-tokens.js';
export { BackendDb } from './db.js';
export { startBackend, type BackendConfig, type BackendService } from './service.js';
export { ocpiServer, type OcpiPartner } from './ocpi/server.js';
export { PartnerTokens } from './ocpi/partner-tokens.js';
export { ListFeed } from './ocpi/list-feed.js';
export { pullTokens } from './ocpi/pull.js';
export { cdrSource, pushCdrs, recordToCdr, type CdrContext } from './ocpi/cdr.js';
