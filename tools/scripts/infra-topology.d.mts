export const APPS_IN_START_ORDER: readonly string[];

export interface InfraTopologyOptions {
  workspace: string;
  /** Added to every port (so the topology can run beside `npm start`). */
  portOffset?: number;
  /** Prepended to every database name. */
  databasePrefix?: string;
  pgUrl?: string;
  natsUrl?: string;
  redisUrl?: string;
}

export interface InfraTopology {
  apps: { name: string; port: number; env: Record<string, string> }[];
  databases: string[];
}

export function infraTopology(options: InfraTopologyOptions): InfraTopology;

/** KEY=value lines of an env file (missing file: none). */
export function dotenv(path: string): Record<string, string>;

/** docker-compose.yml as compose reads it: interpolated with `values`, YAML merge keys applied. */
export function readCompose(workspace: string, values: Record<string, string | undefined>): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
