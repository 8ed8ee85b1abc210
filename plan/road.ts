/**
 * The road an estate grows along, 30k -> 150k -> 1M, one step at a time, as a
 * table: what each step writes into the stack file and how to tell that a
 * stack has taken it. `npm run grow` (plan/grow.ts) writes the next step.
 *
 * The values come from the shipped stack files, so the road ends at the
 * services of Pulumi.tier1m.yaml, reached the way an estate that holds data
 * must reach them: RDS beside the MySQL servers and the DMS migration's
 * phases, ElastiCache and SQS beside the nodes they replace until these have
 * drained, and the retired servers' volumes kept.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, isMap, parseDocument } from "yaml";
import { StackConfig } from "../domain/stack-config";
import { PROJECT_ROOT } from "./evaluate";

/** Pulumi.<stack>.yaml's `config:` block, as YAML values. */
export type StackFileConfig = Record<string, unknown>;

export interface RoadStep {
    readonly name: string;
    readonly summary: string;
    /** Whether a stack's config has taken this step. */
    readonly taken: (config: StackConfig) => boolean;
    /**
     * What the step writes, by config key: objects are merged into what the
     * file has, field by field; a null field is removed.
     */
    readonly values: (shipped: (stack: string) => StackFileConfig) => StackFileConfig;
}

const KEY = (name: string) => `scale-tiers:${name}`;

/** The VPC layout is the same in every tier and never changes on a deployed stack: no step writes it. */
const LAYOUT_KEYS = new Set([KEY("vpcCidr"), KEY("availabilityZones"), "aws:region"]);
/** What is the estate's own and no tier's: its layout and its domain, never overwritten by a shipped file's placeholder. */
const OWN_KEYS = new Set([...LAYOUT_KEYS, KEY("domain")]);

function section(config: StackFileConfig, name: string): Record<string, unknown> {
    return (config[KEY(name)] ?? {}) as Record<string, unknown>;
}

/**
 * A migration step writes the phase only: the program reads the phase the
 * estate is in from its deployedState output, and a `from` left in the file
 * by hand is removed (it would assert the phase before this step).
 */
const migration = (phase: string): StackFileConfig => ({ [KEY("migration")]: { phase, from: null } });

export const ROAD: readonly RoadStep[] = [
    {
        name: "tier150k",
        summary: "tier150k's services and sizes: a MySQL replica, memcached, RabbitMQ, monitoring, Jenkins, the tools",
        taken: (c) => c.database.replica.enabled && c.monitoring.enabled && c.jenkins.enabled,
        values: (shipped) =>
            Object.fromEntries(Object.entries(shipped("tier150k")).filter(([key]) => !OWN_KEYS.has(key))),
    },
    {
        name: "managed-services",
        summary:
            "tier1m's managed services beside what the estate has: the Auto Scaling group, RDS (empty until the " +
            "migration), ElastiCache and SQS while memcached and RabbitMQ drain, OpenSearch and Logstash",
        taken: (c) =>
            c.web.autoScaling.enabled &&
            c.database.rds.enabled &&
            c.elasticache.enabled &&
            c.sqs.enabled &&
            c.logging.enabled,
        values: (shipped) => {
            const tier1m = shipped("tier1m");
            return {
                [KEY("natGateways")]: tier1m[KEY("natGateways")],
                [KEY("logRetentionDays")]: tier1m[KEY("logRetentionDays")],
                // A group and fixed servers are exclusive: the group replaces them once it is healthy.
                [KEY("web")]: { ...section(tier1m, "web"), instanceCount: null },
                // RDS beside the servers; the servers stay until the migration retires them.
                [KEY("database")]: { rds: section(tier1m, "database").rds },
                [KEY("elasticache")]: section(tier1m, "elasticache"),
                [KEY("memcached")]: { draining: true },
                [KEY("sqs")]: section(tier1m, "sqs"),
                [KEY("rabbitmq")]: { draining: true },
                [KEY("logging")]: section(tier1m, "logging"),
            };
        },
    },
    {
        name: "replicating",
        summary: "the DMS migration's first phase: RDS gets a full copy and every change after it (docs/migration.md)",
        taken: (c) => ["replicating", "cutover", "rollback", "decommissioned"].includes(c.migration.phase),
        values: () => migration("replicating"),
    },
    {
        name: "cutover",
        summary: "db.<zone> moves to RDS once the gate finds the task loaded, validated and caught up",
        taken: (c) => ["cutover", "decommissioned"].includes(c.migration.phase),
        values: () => migration("cutover"),
    },
    {
        name: "decommissioned",
        summary: "DMS and the MySQL servers go; their data volumes stay, each with a final snapshot",
        taken: (c) => c.migration.phase === "decommissioned",
        values: () => migration("decommissioned"),
    },
    {
        name: "memcached-retired",
        summary: "the memcached nodes go, once the web tier uses ElastiCache (a cache holds nothing to keep)",
        taken: (c) => c.elasticache.enabled && !c.memcached.enabled,
        values: () => ({ [KEY("memcached")]: { enabled: false, draining: false } }),
    },
    {
        name: "rabbitmq-retired",
        summary:
            "the RabbitMQ nodes go once their queues are empty (check before you run it); their volumes stay " +
            "with final snapshots",
        taken: (c) => c.rabbitmq.retired,
        values: () => ({ [KEY("rabbitmq")]: { enabled: false, draining: false, retired: true } }),
    },
];

/** Where a stack is on the road: the next step, or why it has none. */
export type RoadPosition =
    { readonly next: RoadStep; readonly index: number } | { readonly done: true } | { readonly refused: string };

export function roadPosition(config: StackConfig): RoadPosition {
    if (!config.database.selfManaged) {
        return {
            refused:
                "the estate runs RDS from the start (database.selfManaged: false), as Pulumi.tier1m.yaml does: " +
                "it was built at 1M and has no road to grow along",
        };
    }
    if (config.migration.phase === "rollback") {
        return {
            refused:
                "the migration is rolled back: start it over by hand with migration.phase: replicating " +
                "(docs/migration.md)",
        };
    }
    const index = ROAD.findIndex((step) => !step.taken(config));
    if (index < 0) {
        return { done: true };
    }
    // The furthest step the file has taken, the one it claims to be at.
    const skipped = ROAD.slice(index + 1)
        .filter((step) => step.taken(config))
        .pop();
    if (skipped) {
        return {
            refused:
                `the stack file has taken "${skipped.name}" without "${ROAD[index].name}": ` +
                "it is off the road, so no step can be written safely; bring it back by hand",
        };
    }
    return { next: ROAD[index], index };
}

/** A size in GiB: volumes and storage only grow (EBS cannot shrink a volume), so a step never lowers one. */
const SIZE_FIELD = /GiB$/;

/** A shipped stack file's config block, the values the road takes from it. */
export function shippedConfig(stack: string): StackFileConfig {
    const file = path.join(PROJECT_ROOT, `Pulumi.${stack}.yaml`);
    return (parseDocument(fs.readFileSync(file, "utf8")).toJS() as { config?: StackFileConfig }).config ?? {};
}

/** Sets `value` at `path` in the document: objects field by field, null removes, sizes never shrink. */
function merge(document: Document, path: string[], value: unknown): void {
    if (value === null) {
        document.deleteIn(path);
        return;
    }
    const existing = document.getIn(path, true);
    const current = document.getIn(path);
    if (typeof value === "number" && typeof current === "number" && SIZE_FIELD.test(path[path.length - 1])) {
        document.setIn(path, Math.max(value, current));
        return;
    }
    if (value !== undefined && typeof value === "object" && !Array.isArray(value)) {
        if (!isMap(existing)) {
            document.setIn(path, document.createNode({}));
        }
        for (const [field, fieldValue] of Object.entries(value)) {
            merge(document, [...path, field], fieldValue);
        }
        return;
    }
    if (value !== undefined) {
        document.setIn(path, value);
    }
}

/** The stack file's text with `values` written into its `config:` block; comments and order are kept. */
export function writeStep(fileText: string, values: StackFileConfig): string {
    const document = parseDocument(fileText);
    for (const [key, value] of Object.entries(values)) {
        merge(document, ["config", key], value);
    }
    return String(document);
}
