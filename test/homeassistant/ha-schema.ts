/**
 * The rules Home Assistant applies to an MQTT discovery config, read from its own source
 * (github.com/home-assistant/core, `dev` branch, 2025-2026) and written down here as a
 * small validator. Each rule names the file it comes from. This is a copy of their
 * rules, not their code: when Home Assistant changes a rule, change it here.
 *
 * Home Assistant validates with voluptuous and, for discovery, drops keys it does not know
 * (`extra=vol.REMOVE_EXTRA`), so a misspelt key would be lost silently: this validator
 * reports unknown keys as errors instead.
 */

// homeassistant/components/mqtt/discovery.py: TOPIC_MATCHER, after the discovery prefix.
const TOPIC_MATCHER = /^(?<component>\w+)\/(?:(?<node>[a-zA-Z0-9_-]+)\/)?(?<object>[a-zA-Z0-9_-]+)\/config$/

// homeassistant/components/mqtt/const.py: SUPPORTED_COMPONENTS (those fieldlink may use).
const SUPPORTED_COMPONENTS = new Set([
    "binary_sensor",
    "button",
    "number",
    "sensor",
    "switch",
    "text",
    "select",
    "event",
])

// homeassistant/components/sensor/const.py: class SensorDeviceClass.
const SENSOR_DEVICE_CLASSES = new Set([
    "date",
    "enum",
    "timestamp",
    "apparent_power",
    "aqi",
    "area",
    "atmospheric_pressure",
    "battery",
    "blood_glucose_concentration",
    "carbon_monoxide",
    "carbon_dioxide",
    "conductivity",
    "current",
    "data_rate",
    "data_size",
    "distance",
    "duration",
    "energy",
    "energy_distance",
    "energy_storage",
    "frequency",
    "gas",
    "humidity",
    "illuminance",
    "irradiance",
    "moisture",
    "monetary",
    "nitrogen_dioxide",
    "nitrogen_monoxide",
    "nitrous_oxide",
    "ozone",
    "ph",
    "pm1",
    "pm10",
    "pm25",
    "power_factor",
    "power",
    "precipitation",
    "precipitation_intensity",
    "pressure",
    "reactive_power",
    "signal_strength",
    "sound_pressure",
    "speed",
    "sulphur_dioxide",
    "temperature",
    "temperature_delta",
    "volatile_organic_compounds",
    "volatile_organic_compounds_parts",
    "voltage",
    "volume",
    "volume_storage",
    "volume_flow_rate",
    "water",
    "weight",
    "wind_direction",
    "wind_speed",
])

// homeassistant/components/sensor/const.py: class SensorStateClass.
const STATE_CLASSES = new Set(["measurement", "total", "total_increasing"])

// homeassistant/components/sensor/const.py: DEVICE_CLASS_UNITS, for the classes fieldlink
// uses; the unit strings are homeassistant/const.py's UnitOfTemperature, PERCENTAGE,
// UnitOfPressure, LIGHT_LUX, UnitOfElectricPotential, CONCENTRATION_PARTS_PER_MILLION, UnitOfTime.
const DEVICE_CLASS_UNITS: Record<string, ReadonlySet<string>> = {
    temperature: new Set(["°C", "°F", "K"]),
    humidity: new Set(["%"]),
    battery: new Set(["%"]),
    moisture: new Set(["%"]),
    pressure: new Set(["cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"]),
    atmospheric_pressure: new Set(["cbar", "bar", "hPa", "mmHg", "inHg", "kPa", "mbar", "Pa", "psi"]),
    illuminance: new Set(["lx"]),
    voltage: new Set(["V", "mV", "µV", "kV", "MV"]),
    carbon_dioxide: new Set(["ppm"]),
    carbon_monoxide: new Set(["ppm"]),
    duration: new Set(["d", "h", "min", "s", "ms"]),
}

// homeassistant/components/sensor/const.py: DEVICE_CLASS_STATE_CLASSES, same classes.
const DEVICE_CLASS_STATE_CLASSES: Record<string, ReadonlySet<string>> = {
    temperature: new Set(["measurement"]),
    humidity: new Set(["measurement"]),
    battery: new Set(["measurement"]),
    moisture: new Set(["measurement"]),
    pressure: new Set(["measurement"]),
    atmospheric_pressure: new Set(["measurement"]),
    illuminance: new Set(["measurement"]),
    voltage: new Set(["measurement"]),
    carbon_dioxide: new Set(["measurement"]),
    carbon_monoxide: new Set(["measurement"]),
    duration: new Set(["measurement", "total", "total_increasing"]),
}

// homeassistant/components/button/__init__.py: class ButtonDeviceClass.
const BUTTON_DEVICE_CLASSES = new Set(["identify", "restart", "update"])
// homeassistant/components/number/const.py: class NumberMode.
const NUMBER_MODES = new Set(["auto", "box", "slider"])
// homeassistant/const.py: class EntityCategory.
const ENTITY_CATEGORIES = new Set(["config", "diagnostic"])

// homeassistant/components/mqtt/schemas.py: MQTT_ENTITY_COMMON_SCHEMA and
// MQTT_AVAILABILITY_SCHEMA (single-topic form), which every entity extends.
const COMMON_KEYS = new Set([
    "name",
    "unique_id",
    "device",
    "origin",
    "availability_topic",
    "availability_template",
    "payload_available",
    "payload_not_available",
    "availability",
    "availability_mode",
    "entity_category",
    "enabled_by_default",
    "icon",
    "json_attributes_topic",
    "json_attributes_template",
    "encoding",
    "qos",
    "default_entity_id",
    "entity_picture",
])
// homeassistant/components/mqtt/sensor.py: _PLATFORM_SCHEMA_BASE (MQTT_RO_SCHEMA: state_topic required).
const SENSOR_KEYS = new Set([
    "state_topic",
    "value_template",
    "device_class",
    "unit_of_measurement",
    "state_class",
    "expire_after",
    "force_update",
    "last_reset_value_template",
    "options",
    "suggested_display_precision",
])
// homeassistant/components/mqtt/number.py: _PLATFORM_SCHEMA_BASE (MQTT_RW_SCHEMA: command_topic required).
const NUMBER_KEYS = new Set([
    "command_topic",
    "command_template",
    "state_topic",
    "value_template",
    "device_class",
    "min",
    "max",
    "step",
    "mode",
    "unit_of_measurement",
    "payload_reset",
    "optimistic",
    "retain",
])
// homeassistant/components/mqtt/button.py: PLATFORM_SCHEMA_MODERN.
const BUTTON_KEYS = new Set(["command_topic", "command_template", "device_class", "payload_press", "retain"])
const COMPONENT_KEYS: Record<string, ReadonlySet<string>> = {
    sensor: SENSOR_KEYS,
    number: NUMBER_KEYS,
    button: BUTTON_KEYS,
}

// homeassistant/components/mqtt/schemas.py: MQTT_ENTITY_DEVICE_INFO_SCHEMA (vol.Schema: extra keys are errors).
const DEVICE_KEYS = new Set([
    "identifiers",
    "connections",
    "manufacturer",
    "model",
    "model_id",
    "name",
    "hw_version",
    "serial_number",
    "sw_version",
    "via_device",
    "suggested_area",
    "configuration_url",
])
// homeassistant/components/mqtt/schemas.py: MQTT_ORIGIN_INFO_SCHEMA.
const ORIGIN_KEYS = new Set(["name", "sw_version", "support_url"])

function isString(v: unknown): v is string {
    return typeof v === "string"
}

/** homeassistant/components/mqtt/util.py: valid_subscribe_topic / valid_publish_topic. */
function topicProblem(v: unknown, publish: boolean): string | null {
    if (!isString(v) || v.length === 0) return "must be a non-empty string"
    if (v.includes("\0")) return "must not contain NUL"
    if (publish && /[+#]/.test(v)) return "must not contain wildcards (a publish topic)"
    return null
}

/**
 * Every way `payload` (a discovery config published at `topic`) breaks Home Assistant's
 * rules; empty when it is valid. An empty payload (removal) is always valid.
 */
export function discoveryProblems(prefix: string, topic: string, payload: string): string[] {
    const problems: string[] = []
    if (!topic.startsWith(`${prefix}/`))
        return [`topic ${topic} is not under the discovery prefix ${prefix}/`]
    const m = TOPIC_MATCHER.exec(topic.slice(prefix.length + 1))
    if (!m) return [`topic ${topic} does not match <prefix>/<component>/[<node_id>/]<object_id>/config`]
    const component = m.groups!.component
    if (!SUPPORTED_COMPONENTS.has(component))
        problems.push(`component ${component} is not one Home Assistant supports`)
    if (payload === "") return problems
    let config: Record<string, unknown>
    try {
        config = JSON.parse(payload)
    } catch {
        return [...problems, "payload is not JSON"]
    }
    if (config === null || typeof config !== "object" || Array.isArray(config))
        return [...problems, "payload is not a JSON object"]
    const allowed = COMPONENT_KEYS[component] ?? new Set()
    for (const key of Object.keys(config))
        if (!COMMON_KEYS.has(key) && !allowed.has(key))
            problems.push(`${component}: unknown key ${key} (Home Assistant would drop it)`)

    if ("name" in config && config.name !== null && !isString(config.name))
        problems.push("name must be a string or null")
    if ("unique_id" in config && !isString(config.unique_id)) problems.push("unique_id must be a string")
    if ("entity_category" in config && !ENTITY_CATEGORIES.has(String(config.entity_category)))
        problems.push(`entity_category ${config.entity_category} is not config or diagnostic`)
    if ("availability_topic" in config) {
        const p = topicProblem(config.availability_topic, false)
        if (p) problems.push(`availability_topic ${p}`)
        if ("availability" in config) problems.push("availability_topic and availability are exclusive")
    }
    for (const key of ["payload_available", "payload_not_available", "value_template", "unit_of_measurement"])
        if (key in config && !isString(config[key])) problems.push(`${key} must be a string`)

    if ("device" in config) {
        const d = config.device as Record<string, unknown>
        if (d === null || typeof d !== "object") problems.push("device must be an object")
        else {
            for (const key of Object.keys(d))
                if (!DEVICE_KEYS.has(key)) problems.push(`device: unknown key ${key}`)
            const ids = d.identifiers
            const hasIds = (Array.isArray(ids) && ids.length > 0) || (isString(ids) && ids !== "")
            const hasConnections = Array.isArray(d.connections) && d.connections.length > 0
            if (!hasIds && !hasConnections)
                problems.push(
                    "device must have at least one identifying value in 'identifiers' and/or 'connections'",
                )
            if (Array.isArray(ids) && !ids.every(isString))
                problems.push("device.identifiers must be strings")
            for (const key of ["manufacturer", "model", "name", "sw_version", "via_device", "hw_version"])
                if (key in d && !isString(d[key])) problems.push(`device.${key} must be a string`)
        }
    }
    if ("origin" in config) {
        const o = config.origin as Record<string, unknown>
        if (o === null || typeof o !== "object") problems.push("origin must be an object")
        else {
            if (!isString(o.name)) problems.push("origin.name is required")
            for (const key of Object.keys(o))
                if (!ORIGIN_KEYS.has(key)) problems.push(`origin: unknown key ${key}`)
        }
    }

    if (component === "sensor") {
        const p = topicProblem(config.state_topic, false)
        if (p) problems.push(`sensor: state_topic is required and ${p}`)
        const dc = config.device_class as string | undefined
        const sc = config.state_class as string | undefined
        const unit = config.unit_of_measurement as string | undefined
        if (dc !== undefined && !SENSOR_DEVICE_CLASSES.has(dc))
            problems.push(`sensor: device_class ${dc} is not a SensorDeviceClass`)
        if (sc !== undefined && !STATE_CLASSES.has(sc))
            problems.push(`sensor: state_class ${sc} is not a SensorStateClass`)
        // homeassistant/components/mqtt/sensor.py: validate_sensor_state_and_device_class_config
        if (
            dc !== undefined &&
            unit !== undefined &&
            DEVICE_CLASS_UNITS[dc] &&
            !DEVICE_CLASS_UNITS[dc].has(unit)
        )
            problems.push(
                `sensor: the unit of measurement \`${unit}\` is not valid together with device class \`${dc}\``,
            )
        if (dc !== undefined && !DEVICE_CLASS_UNITS[dc] && SENSOR_DEVICE_CLASSES.has(dc))
            problems.push(
                `sensor: device class ${dc} is not in this validator's unit table: add its units from sensor/const.py`,
            )
        // homeassistant/components/sensor/__init__.py warns when a state class is not
        // among DEVICE_CLASS_STATE_CLASSES for the device class.
        if (
            dc !== undefined &&
            sc !== undefined &&
            DEVICE_CLASS_STATE_CLASSES[dc] &&
            !DEVICE_CLASS_STATE_CLASSES[dc].has(sc)
        )
            problems.push(`sensor: state class ${sc} is not valid for device class ${dc}`)
    }
    if (component === "number") {
        const p = topicProblem(config.command_topic, true)
        if (p) problems.push(`number: command_topic is required and ${p}`)
        const min = "min" in config ? Number(config.min) : 1
        const max = "max" in config ? Number(config.max) : 100
        if (!(min < max)) problems.push("number: 'max' must be > 'min'")
        if ("step" in config && !(Number(config.step) >= 1e-3))
            problems.push("number: step must be at least 0.001")
        if ("mode" in config && !NUMBER_MODES.has(String(config.mode)))
            problems.push(`number: mode ${config.mode} is not auto, box or slider`)
    }
    if (component === "button") {
        const p = topicProblem(config.command_topic, true)
        if (p) problems.push(`button: command_topic is required and ${p}`)
        if ("device_class" in config && !BUTTON_DEVICE_CLASSES.has(String(config.device_class)))
            problems.push(`button: device_class ${config.device_class} is not a ButtonDeviceClass`)
    }
    return problems
}
