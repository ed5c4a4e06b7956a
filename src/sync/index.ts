// Sync over MQTT: roam/v1 topics, bounded message codecs, record upload,
// list sync and real-time authorization. docs/sync.md has the topic table.
export { SyncClient, type SyncOptions } from './client.js';
export { MqttAuthorizer, type MqttAuthorizerOptions } from './authorizer.js';
export { RecordUploader, type UploaderOptions, type UploaderStats } from './uploader.js';
export { ListClient, type ListClientOptions, type ListClientStats } from './list-client.js';
export { DeviceLink } from './link.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { SyncDecodeError, TopicError, type DecodeFault } from './errors.js';
export { decodeFrame, encodeFrame, type FrameLimits } from './frame.js';
export { inflateBounded } from './inflate.js';
export { scanCbor, type CborBounds } from './cbor-scan.js';
export {
  AUTH_PURPOSES, AUTH_STATUSES, decodeMessage, encodeMessage, MAX_BATCH_RECORDS, MAX_CHUNK_BYTES, MAX_RECORD_BYTES, MESSAGES, RESYNC_REASONS,
  type AuthPurpose, type AuthRequest, type AuthResponse, type AuthStatus, type DeviceConfig, type DeviceStatus, type ListChunk, type ListDiff, type ListKey,
  type ListGet, type ListOffer, type ListResync, type ListStatus, type MessageKind, type MessageOf, type RecordAck, type RecordBatch, type ResyncReason,
} from './messages.js';
export { anyDeviceFilter, checkDeviceId, parseTopic, TOPIC_ROOT, topicOf } from './topics.js';
export type { JournalRecord, ListStore, UploadJournal } from './ports.js';
export { listStoreOf } from './token-store-port.js';
