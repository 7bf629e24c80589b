// The faces the fuzz and soak suites drive, what each lets a case configure, and the plan a
// client child receives for one case (JSON: it crosses a process boundary).
import { isUtf8 } from 'node:buffer';
import type { PerMessageDeflateOptions } from '../../lib/options';

export const FACES = ['whatwg', 'connect', 'arkts', 'mirror', 'clib'] as const;
export type Face = (typeof FACES)[number];

export function isFace(value: string): value is Face {
  return (FACES as readonly string[]).includes(value);
}

export interface FaceTraits {
  /** The face takes a perMessageDeflate option (and offers it by default). */
  deflate: boolean;
  /** The face takes maxPayload and handshakeTimeout options. */
  limits: boolean;
  /** The face offers subprotocols. */
  protocols: boolean;
  /** The open event tells the negotiated subprotocol and extensions. */
  reportsNegotiation: boolean;
  /** The limit on a received message when none is configured. */
  defaultMaxPayload: number;
  /** The C API: Send types a message by its bytes (TEXT unless it holds a NUL), sends nothing
   *  for length 0 and refuses more than 4 MiB; close codes 1005/1006 come as 1001. */
  cApi: boolean;
}

const MiB = 1024 * 1024;

export const TRAITS: Record<Face, FaceTraits> = {
  whatwg: { deflate: true, limits: true, protocols: true, reportsNegotiation: true, defaultMaxPayload: 100 * MiB, cApi: false },
  connect: { deflate: true, limits: true, protocols: true, reportsNegotiation: true, defaultMaxPayload: 100 * MiB, cApi: false },
  arkts: { deflate: false, limits: false, protocols: true, reportsNegotiation: false, defaultMaxPayload: 100 * MiB, cApi: false },
  mirror: { deflate: false, limits: false, protocols: false, reportsNegotiation: false, defaultMaxPayload: 100 * MiB, cApi: true },
  clib: { deflate: false, limits: false, protocols: false, reportsNegotiation: false, defaultMaxPayload: 100 * MiB, cApi: true },
};

/** The largest message the C API sends (OpenHarmony's limit). */
export const C_API_SEND_LIMIT = 4 * MiB;

/** How the client of one case is set up. Absent fields: the face's defaults. */
export interface ClientPlan {
  face: Face;
  /** The request path (the server tells cases apart by it). */
  path: string;
  tls: boolean;
  protocols: string[];
  /** whatwg / connect: the perMessageDeflate option (absent: the default offer). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** whatwg / connect. */
  maxPayload?: number;
  handshakeTimeoutMs?: number;
  /** The C API: call Close from inside onError and onClose (it must return 1017 there). */
  closeInCallbacks?: boolean;
}

/** A case as the client child gets it. */
export interface ClientJob {
  id: number;
  url: string;
  plan: ClientPlan;
}

/**
 * What the child reports, one JSON object per line. `t` is Date.now() in the child. `data`
 * fields are hex; messages are reported by length and CRC-32 (and their first bytes).
 */
export type ClientReport =
  | { id: number; t: number; ev: 'open'; protocol: string | null; extensions: string | null }
  | { id: number; t: number; ev: 'message'; binary: boolean | null; len: number; crc: number; head: string }
  | { id: number; t: number; ev: 'error'; code: number; name: string; message: string }
  | { id: number; t: number; ev: 'close'; code: number; reason: string; clean: boolean | null }
  /** connect(): the promise rejected (the handshake failed). */
  | { id: number; t: number; ev: 'rejected'; code: number; name: string; message: string }
  /** The C API: what Close returned when called from inside onError / onClose. */
  | { id: number; t: number; ev: 'close-rc'; where: 'error' | 'close'; rc: number }
  /** The driver closed the connection as the trigger message asked. */
  | { id: number; t: number; ev: 'closing'; code: number; rc?: number }
  /** Something thrown at the driver (id -1: not attributable to one case). */
  | { id: number; t: number; ev: 'exception'; message: string };

/** Events that end a connection's life on a face (exactly one is expected per case). */
export function isTerminal(face: Face, report: ClientReport, opened: boolean): boolean {
  if (report.ev === 'close' || report.ev === 'rejected') return true;
  // The C API reports a failed connect by onError alone (no onClose follows).
  return TRAITS[face].cApi && report.ev === 'error' && !opened;
}

/**
 * Whether the fuzz client echoes a message it received. The C API's Send cannot send an
 * empty message, refuses more than 4 MiB and types a message by its bytes (TEXT unless it
 * holds a NUL), so there only messages that survive that round trip are echoed.
 */
export function echoes(face: Face, data: Uint8Array, isTrigger: boolean): boolean {
  if (isTrigger) return false;
  if (!TRAITS[face].cApi) return true;
  return data.length > 0 && data.length <= C_API_SEND_LIMIT && (data.includes(0) || isUtf8(data));
}
