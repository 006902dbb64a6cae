/** Reported in `info`; bump with every firmware release. */
export const FIRMWARE_VERSION = "0.1.0"
