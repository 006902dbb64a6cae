/**
 * Jacdac frames as bytes: reading the packets out of one and building a report frame. Pure.
 *
 * The layout (Jacdac specification, "Frames" and "Packets"):
 *   frame:  crc u16 | size u8 (bytes of packets) | flags u8 | device identifier u64 | packets
 *   packet: service_size u8 | service_index u8 | service_command u16 | data, padded to 4
 * The CRC (CRC-16-CCITT) covers everything after itself: size, flags, identifier, packets.
 * All numbers are little-endian.
 */
import { crc } from "./jacdac.js";

export const FRAME_HEADER_BYTES = 12;
const PACKET_HEADER_BYTES = 4;

/** Frame flags (jacdac-c's JD_FRAME_FLAG_*). */
export const FrameFlag = {
  /** The identifier is the device the command goes to; clear: the device the report comes from. */
  Command: 0x01,
  AckRequested: 0x02,
  /** The identifier is a service class (a broadcast command). */
  IdentifierIsServiceClass: 0x04,
} as const;

/** jacdac-c's JD_CMD_GET_REGISTER: a register get is this | the register code. */
export const CMD_GET_REGISTER = 0x1000;
/** Service index of every device's control service, whose report 0x00 is its announce. */
const CONTROL_SERVICE_INDEX = 0x00;
const CMD_ANNOUNCE = 0x0000;

/** A device identifier as jacdac-ts writes it (16 hex digits) as the 8 bytes of a frame. */
export function deviceIdBytes(deviceId: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/i.test(deviceId)) {
    throw new RangeError(`Device identifier "${deviceId}" is not 16 hex digits.`);
  }
  return Uint8Array.from(deviceId.match(/../g)!, byte => parseInt(byte, 16));
}

export interface FramePacket {
  serviceIndex: number;
  serviceCommand: number;
  data: Uint8Array;
}

/** A frame's flags, identifier (8 bytes) and packets; undefined when the sizes do not add up. */
export function readFrame(
  frame: Uint8Array,
): { flags: number; deviceId: Uint8Array; packets: FramePacket[] } | undefined {
  if (frame.length < FRAME_HEADER_BYTES) return undefined;
  const end = FRAME_HEADER_BYTES + frame[2];
  if (end > frame.length) return undefined;
  const packets: FramePacket[] = [];
  for (let at = FRAME_HEADER_BYTES; at < end;) {
    if (at + PACKET_HEADER_BYTES > end) return undefined;
    const size = frame[at];
    if (at + PACKET_HEADER_BYTES + size > end) return undefined;
    packets.push({
      serviceIndex: frame[at + 1],
      serviceCommand: frame[at + 2] | (frame[at + 3] << 8),
      data: frame.subarray(at + PACKET_HEADER_BYTES, at + PACKET_HEADER_BYTES + size),
    });
    at += (PACKET_HEADER_BYTES + size + 3) & ~3;
  }
  return { flags: frame[3], deviceId: frame.subarray(4, FRAME_HEADER_BYTES), packets };
}

/**
 * Whether a frame holds only announces (control-service reports 0x00): what every device
 * sends every half second to say it is there. Nothing in a program waits for one.
 */
export function isAnnounceOnly(frame: Uint8Array): boolean {
  const parsed = readFrame(frame);
  if (!parsed || parsed.packets.length === 0) return false;
  if (parsed.flags & (FrameFlag.Command | FrameFlag.IdentifierIsServiceClass)) return false;
  return parsed.packets.every(
    p => p.serviceIndex === CONTROL_SERVICE_INDEX && p.serviceCommand === CMD_ANNOUNCE,
  );
}

/**
 * A report frame from `deviceId` (8 bytes) carrying one packet, CRC filled in. As jacdac-ts
 * builds one (Packet.toBuffer): a frame's last packet needs no padding, so none is added.
 */
export function reportFrame(
  deviceId: Uint8Array,
  serviceIndex: number,
  serviceCommand: number,
  data: Uint8Array,
): Uint8Array {
  const packetBytes = PACKET_HEADER_BYTES + data.length;
  const frame = new Uint8Array(FRAME_HEADER_BYTES + packetBytes);
  frame[2] = packetBytes;
  frame[3] = 0;
  frame.set(deviceId, 4);
  const at = FRAME_HEADER_BYTES;
  frame[at] = data.length;
  frame[at + 1] = serviceIndex;
  frame[at + 2] = serviceCommand & 0xff;
  frame[at + 3] = serviceCommand >> 8;
  frame.set(data, at + PACKET_HEADER_BYTES);
  const sum = crc(frame.subarray(2));
  frame[0] = sum & 0xff;
  frame[1] = sum >> 8;
  return frame;
}
