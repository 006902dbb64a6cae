// Jacdac frames as bytes (devs-host/jd-frame.ts), checked against jacdac-ts's own packet
// encoder: the frames the simulator builds must be the ones jacdac-ts would have sent.
import test from "ava";
import { isAnnounceOnly, readFrame, reportFrame } from "../../devs-host/jd-frame.js";
import { Packet } from "../../devs-host/jacdac.js";

const DEVICE_HEX = "0123456789abcdef";
const DEVICE = Uint8Array.from(DEVICE_HEX.match(/../g)!, b => parseInt(b, 16));

/** A frame as jacdac-ts builds it for one packet. */
function jacdacFrame(
  command: number,
  data: Uint8Array,
  opts: { serviceIndex: number; isCommand: boolean; ack?: boolean },
): Uint8Array {
  const pkt = Packet.from(command, data);
  pkt.deviceIdentifier = DEVICE_HEX;
  pkt.serviceIndex = opts.serviceIndex;
  pkt.isCommand = opts.isCommand;
  if (opts.ack) pkt.requiresAck = true;
  return pkt.toBuffer();
}

test("a report frame is byte for byte the one jacdac-ts builds, CRC included", t => {
  for (const data of [[], [1, 2, 3], [0x80, 0x56, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
    const bytes = Uint8Array.from(data);
    t.deepEqual(
      [...reportFrame(DEVICE, 2, 0x1101, bytes)],
      [...jacdacFrame(0x1101, bytes, { serviceIndex: 2, isCommand: false })],
      `data ${data.join(",")}`,
    );
  }
});

test("a report frame, field by field", t => {
  const frame = reportFrame(DEVICE, 1, 0x1101, Uint8Array.of(0x00, 0x58, 0x00, 0x00));
  // prettier-ignore
  const expected = [
    8, // size: one packet, 4 bytes of header and 4 of data
    0, // flags: a report
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, // the device, as its 16 hex digits read
    4, // service_size
    1, // service_index
    0x01, 0x11, // service_command 0x1101: get register 0x101 (reading), little-endian
    0x00, 0x58, 0x00, 0x00, // the value
  ];
  t.deepEqual([...frame.subarray(2)], expected);
});

test("readFrame takes a frame apart; a frame whose sizes do not add up is refused", t => {
  // Two packets: a 1-byte one padded to 8 bytes, then an empty one.
  // prettier-ignore
  const frame = Uint8Array.of(
    0, 0, 12, 0x01, ...DEVICE,
    1, 3, 0x34, 0x12, 0xaa, 0, 0, 0, // service 3, command 0x1234, data aa, padding
    0, 4, 0x01, 0x11, // service 4, command 0x1101, no data
  );
  const parsed = readFrame(frame)!;
  t.is(parsed.flags, 0x01);
  t.deepEqual([...parsed.deviceId], [...DEVICE]);
  t.deepEqual(
    parsed.packets.map(p => [p.serviceIndex, p.serviceCommand, [...p.data]]),
    [
      [3, 0x1234, [0xaa]],
      [4, 0x1101, []],
    ],
  );
  t.is(readFrame(frame.subarray(0, 20)), undefined, "shorter than its size byte says");
  const lying = frame.slice();
  lying[12] = 200; // a packet larger than the frame
  t.is(readFrame(lying), undefined);
  t.is(readFrame(Uint8Array.of(1, 2, 3)), undefined, "shorter than a header");
});

test("isAnnounceOnly: a device's announce is; gets, sets, commands and other reports are not", t => {
  const announce = Packet.jdpacked(0, "u16 u8 x[1] u32[]", [0x120, 1, [0x1421bac7]]);
  announce.deviceIdentifier = DEVICE_HEX;
  announce.serviceIndex = 0;
  t.true(isAnnounceOnly(announce.toBuffer()));
  t.false(isAnnounceOnly(jacdacFrame(0x1101, new Uint8Array(), { serviceIndex: 1, isCommand: true })));
  t.false(
    isAnnounceOnly(jacdacFrame(0x1101, Uint8Array.of(1, 2, 3, 4), { serviceIndex: 1, isCommand: false })),
  );
  t.false(
    isAnnounceOnly(jacdacFrame(0x0000, new Uint8Array(), { serviceIndex: 0, isCommand: true })),
    "the announce command (asks for announces)",
  );
  t.false(
    isAnnounceOnly(jacdacFrame(0x0000, new Uint8Array(), { serviceIndex: 1, isCommand: false })),
    "report 0 of another service",
  );
});
