/** The MQTT 3.1.1 client codec shared by the firmware and the host: pure, no I/O. */
export {
    PacketType,
    MAX_FIELD_BYTES,
    MAX_PACKET_ID,
    MAX_PACKET_SIZE,
    MAX_REMAINING_LENGTH,
    SUBACK_FAILURE,
    connackReason,
    packetTypeName,
} from "./packets.js"
export type { ConnectOptions, MqttPacket, PublishOptions, Subscription, WillOptions } from "./packets.js"
export {
    encodeConnect,
    encodeDisconnect,
    encodePingreq,
    encodePuback,
    encodePublish,
    encodeSubscribe,
    encodeUnsubscribe,
} from "./encode.js"
export { remainingLengthSize, writeRemainingLength } from "./length.js"
export { PacketParser, headerError } from "./parser.js"
export type { ParseError, ParseErrorCode } from "./errors.js"
export { decodePacket } from "./decode.js"
export type { DecodeResult } from "./decode.js"
export { MAX_ID_LENGTH, idError, topicFilterError, topicMatches, topicNameError } from "./topics.js"
export { mqttUtf8Error, stringError, utf8Length } from "./utf8.js"
