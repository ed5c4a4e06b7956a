// The OCPI 2.2.1 response format (transport_and_format §4.1.7) and status codes (§5).

/** OCPI status codes roam's interfaces answer with (status_codes §5.1–5.3). */
export const OCPI_STATUS = {
  SUCCESS: 1000,
  CLIENT_ERROR: 2000,
  INVALID_PARAMETERS: 2001,
  NOT_ENOUGH_INFORMATION: 2002,
  UNKNOWN_LOCATION: 2003,
  UNKNOWN_TOKEN: 2004,
  SERVER_ERROR: 3000,
  UNABLE_TO_USE_CLIENT_API: 3001,
} as const;

export interface OcpiEnvelope<T = unknown> {
  data?: T;
  status_code: number;
  status_message?: string;
  timestamp: string;
}

/** OCPI DateTime: RFC 3339 in UTC, at most 25 characters, whole seconds here. */
export function ocpiDateTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/**
 * "The content that is sent with all the response messages is an
 * 'application/json' type and contains a JSON object with the following
 * properties: data, status_code, status_message, timestamp" (§4.1.7). `data`
 * is left out when there is none: "we also advise that in such cases, platform
 * sending the response leave the data field unset".
 */
export function envelope<T>(status: number, data?: T, message?: string, now = Date.now()): OcpiEnvelope<T> {
  const e: OcpiEnvelope<T> = { status_code: status, timestamp: ocpiDateTime(now) };
  if (data !== undefined) e.data = data;
  if (message !== undefined) e.status_message = message;
  return e;
}

/**
 * OCPI DateTime parsed to ms; undefined when it is not one. "All timestamps are
 * formatted as string(25) following RFC 3339, with some additional limitations.
 * All timestamps SHALL be in UTC. The absence of the timezone designator implies
 * a UTC timestamp. Fractional seconds MAY be used." (types §16.2)
 */
export function parseOcpiDateTime(v: unknown): number | undefined {
  if (typeof v !== 'string' || v.length > 25) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z?$/.test(v)) return undefined;
  const ms = Date.parse(v.endsWith('Z') ? v : `${v}Z`);
  return Number.isNaN(ms) ? undefined : ms;
}
