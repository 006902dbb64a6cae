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
} from "./packets"
export type { ConnectOptions, MqttPacket, PublishOptions, Subscription, WillOptions } from "./packets"
export {
    encodeConnect,
    encodeDisconnect,
    encodePingreq,
    encodePuback,
    encodePublish,
    encodeSubscribe,
    encodeUnsubscribe,
} from "./encode"
export { remainingLengthSize, writeRemainingLength } from "./length"
export { PacketParser, headerError } from "./parser"
export type { ParseError, ParseErrorCode } from "./errors"
export { decodePacket } from "./decode"
export type { DecodeResult } from "./decode"
export { MAX_ID_LENGTH, idError, topicFilterError, topicMatches, topicNameError } from "./topics"
export { mqttUtf8Error, stringError, utf8Length } from "./utf8"
