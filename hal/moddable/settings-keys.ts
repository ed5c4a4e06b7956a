// NVS keys `roam provision` writes and the device reads (≤ 15 characters each).
// Portable: the technician CLI reads dumps with the same names.
export const SettingKeys = {
  deviceId: 'deviceId',
  siteId: 'siteId',
  broker: 'broker',
  backendKey: 'backendKey',
  deviceKey: 'deviceKey',
  devicePub: 'devicePub',
  uidOrder: 'uidOrder',
  uidFormat: 'uidFormat',
} as const;
