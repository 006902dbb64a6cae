/**
 * A gateway without `gateway.id` / `--id` takes the host name as its id, and every MQTT
 * client id of the gateway derives from it. Stock images all share a few host names, so
 * two gateways set up from the same image take the same ids and throw each other off the
 * broker for ever. This names that risk before it happens.
 */

/** Host names that ship with common images and installers (compared case-insensitively). */
export const GENERIC_HOST_NAMES = [
    "raspberrypi",
    "raspberry",
    "localhost",
    "localhost_localdomain",
    "ubuntu",
    "debian",
    "dietpi",
    "orangepi",
    "rockpi",
    "odroid",
    "pi",
    "beaglebone",
    "armbian",
    "alarmpi",
    "fedora",
    "centos",
    "openwrt",
    "homeassistant",
    "nixos",
    "archlinux",
    "gateway",
]

/**
 * The warning for a gateway id taken from a generic host name, or undefined. `defaulted`
 * is false when the id was set on purpose (`gateway.id` / `--id`).
 */
export function genericIdWarning(id: string, defaulted: boolean): string | undefined {
    if (!defaulted || !GENERIC_HOST_NAMES.includes(id.toLowerCase())) return undefined
    return `the gateway id \`${id}\` comes from this machine's host name, which many machines share: a second gateway with the same host name would take over this one's MQTT connections. Set a unique id with --id or gateway.id (or give the machine its own host name)`
}
