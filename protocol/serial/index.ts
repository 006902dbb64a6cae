/** The serial line protocol of DESIGN §4: framing, checksum, parsing, replies. Pure. */
export { crc8, crc8Text, crcHex } from "./crc8.js"
export { ERROR_CODES, type ErrorCode } from "./errors.js"
export { DEFAULT_MAX_LINE_BYTES, LineFramer, type FrameEvent } from "./framer.js"
export { MAX_LIVE_S, parseLine, parseText, quoted, type DeviceLine, type ParseOptions } from "./line.js"
export { cmdLine, errLine, frameLine, MAX_REASON_LENGTH, okLine, PONG } from "./reply.js"
export { MAX_LEVEL_LENGTH, MAX_SUBTOPIC_LEVELS, RESERVED_LEVELS, subtopicError } from "./subtopic.js"
