/** The serial line protocol of DESIGN §4: framing, checksum, parsing, replies. Pure. */
export { crc8, crc8Text, crcHex } from "./crc8"
export { ERROR_CODES, type ErrorCode } from "./errors"
export { DEFAULT_MAX_LINE_BYTES, LineFramer, type FrameEvent } from "./framer"
export { MAX_LIVE_S, parseLine, parseText, quoted, type DeviceLine, type ParseOptions } from "./line"
export { cmdLine, errLine, frameLine, MAX_REASON_LENGTH, okLine, PONG } from "./reply"
export { MAX_LEVEL_LENGTH, MAX_SUBTOPIC_LEVELS, RESERVED_LEVELS, subtopicError } from "./subtopic"
