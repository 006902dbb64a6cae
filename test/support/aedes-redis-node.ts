// Child process of aedes-redis-cluster.ts: N aedes nodes on one Redis; prints "urls [...]".
import mqemitterRedis from "mqemitter-redis"
import aedesPersistenceRedis from "aedes-persistence-redis"
import { startEmbeddedBroker } from "@fieldlink/sim/broker/embedded"

const [redisPort, count] = process.argv.slice(2).map(Number)
const urls: string[] = []
for (let i = 0; i < count!; i++) {
    const redis = { port: redisPort!, host: "127.0.0.1" }
    const node = await startEmbeddedBroker({
        aedes: { id: `node-${i}`, mq: mqemitterRedis(redis), persistence: aedesPersistenceRedis(redis) },
    })
    urls.push(node.url)
}
console.log(`urls ${JSON.stringify(urls)}`)
