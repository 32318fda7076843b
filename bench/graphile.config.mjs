// PostGraphile v5 for the c360 benchmark: amber preset, the `public` schema,
// the connection string from C360_BENCH_PG_URL (a plain postgres:// URL). The `bench`
// schema holds one function for query (d) (bench/partner_customers.sql).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const port = Number(process.env.PORT ?? 5678);

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.C360_BENCH_PG_URL,
      schemas: ["public", "bench"],
      poolConfig: { max: Number(process.env.C360_BENCH_PG_POOL ?? 10) },
    }),
  ],
  grafserv: { port, host: "127.0.0.1", graphiql: false, watch: false },
  grafast: { explain: false },
};

export default preset;
