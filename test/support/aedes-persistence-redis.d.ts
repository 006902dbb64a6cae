// aedes-persistence-redis ships no type declarations; this is the one call the tests make.
declare module "aedes-persistence-redis" {
    import type { AedesOptions } from "aedes"
    export default function aedesPersistenceRedis(options: {
        port: number
        host: string
    }): NonNullable<AedesOptions["persistence"]>
}
