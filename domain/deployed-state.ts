/**
 * What a stack has deployed, as far as its data is concerned, and the changes
 * that would lose that data or fail halfway through an update. Pure logic.
 *
 * Every update exports `deployedState` (the shape below, versioned). Before
 * the next update registers anything, the program reads it back and checks
 * the new config against it (stateProblems): each rule names the key, what is
 * deployed, what was asked, why it loses data or fails, and the safe way.
 */
import { MigrationPhase, MIGRATION_PHASES, allowedNextPhases, phaseResources } from "./migration";
import { Architecture, architectureOf } from "./instance-types";
import { AzSubnets, planSubnets } from "./network-layout";
import { JENKINS_AZ_INDEX, MYSQL_AZ_INDEX, rabbitmqNodeAzIndex, toolAzIndex } from "./placement";
import { StackConfig, TOOL_NAMES, ToolName } from "./stack-config";

/** Bumped when the shape changes; a program refuses a state newer than it knows. */
export const DEPLOYED_STATE_VERSION = 1;

/** The services whose servers keep data on their own volume, and RDS. */
export const DATA_HOLDERS = ["mysql", "mysql-replica", "rabbitmq", "jenkins", "jira", "wiki", "cms", "rds"] as const;
export type DataHolder = (typeof DATA_HOLDERS)[number];
/** The data holders that are servers with their own EBS volume. */
export type ServerHolder = Exclude<DataHolder, "rds">;

/** `retired`: the server went, its volume stayed with a final snapshot. */
export type HolderState = "absent" | "running" | "retired";

export interface VolumeState {
    /** The server's label, as in the `serverInstanceIds` output: `db-primary`, `mq-0`, `jenkins`, `jira`... */
    readonly label: string;
    readonly holder: ServerHolder;
    readonly sizeGiB: number;
    readonly availabilityZone: string;
    /** The server's CPU architecture; unset once the server is retired. */
    readonly architecture?: Architecture;
}

export interface DeployedState {
    readonly version: typeof DEPLOYED_STATE_VERSION;
    readonly region: string;
    /** The migration phase reached; `none` for an estate that never had self-managed MySQL. */
    readonly migrationPhase: MigrationPhase;
    readonly network: {
        readonly vpcCidr: string;
        readonly availabilityZones: readonly string[];
        readonly subnets: readonly AzSubnets[];
    };
    readonly volumes: readonly VolumeState[];
    readonly holders: Readonly<Record<DataHolder, HolderState>>;
    /** RabbitMQ nodes running (draining included); 0 without a running cluster. */
    readonly rabbitmqNodes: number;
    /** The tier's shape, for the reader: clients, and which kind of web tier and database serve them. */
    readonly shape: {
        readonly clients: number;
        readonly web: "fixed" | "autoScaling";
        readonly database: "selfManaged" | "rds";
    };
}

function holderState(running: boolean, retired: boolean): HolderState {
    return running ? "running" : retired ? "retired" : "absent";
}

function mysqlState(config: StackConfig): HolderState {
    if (!config.database.selfManaged) {
        return "absent";
    }
    return phaseResources(config.migration.phase).selfManagedServers ? "running" : "retired";
}

function holders(config: StackConfig): Record<DataHolder, HolderState> {
    const mysql = mysqlState(config);
    const { replica } = config.database;
    const tool = (name: ToolName) =>
        holderState(config.collaboration[name].enabled, config.collaboration[name].retired);
    return {
        mysql,
        // The replica goes with the primary when the migration retires the servers.
        "mysql-replica":
            mysql === "retired" && replica.enabled ? "retired" : holderState(replica.enabled, replica.retired),
        rabbitmq: holderState(config.rabbitmq.enabled, config.rabbitmq.retired),
        jenkins: holderState(config.jenkins.enabled, config.jenkins.retired),
        jira: tool("jira"),
        wiki: tool("wiki"),
        cms: tool("cms"),
        rds: config.database.rds.enabled ? "running" : "absent",
    };
}

function volumes(config: StackConfig, state: Record<DataHolder, HolderState>): VolumeState[] {
    const zones = config.network.availabilityZones;
    const volume = (
        label: string,
        holder: ServerHolder,
        sizeGiB: number,
        azIndex: number,
        instanceType: string,
    ): VolumeState[] =>
        state[holder] === "absent"
            ? []
            : [
                  {
                      label,
                      holder,
                      sizeGiB,
                      availabilityZone: zones[azIndex],
                      ...(state[holder] === "running" ? { architecture: architectureOf(instanceType) } : {}),
                  },
              ];
    const { database, rabbitmq, jenkins, collaboration } = config;
    return [
        ...volume("db-primary", "mysql", database.dataVolume.sizeGiB, MYSQL_AZ_INDEX.primary, database.instanceType),
        ...volume(
            "db-replica",
            "mysql-replica",
            database.dataVolume.sizeGiB,
            MYSQL_AZ_INDEX.replica,
            database.replica.instanceType,
        ),
        ...Array.from({ length: state.rabbitmq === "absent" ? 0 : rabbitmq.nodeCount }, (_, index) =>
            volume(
                `mq-${index}`,
                "rabbitmq",
                rabbitmq.dataVolumeGiB,
                rabbitmqNodeAzIndex(index, zones.length),
                rabbitmq.instanceType,
            ),
        ).flat(),
        ...volume("jenkins", "jenkins", jenkins.dataVolumeGiB, JENKINS_AZ_INDEX, jenkins.instanceType),
        ...TOOL_NAMES.flatMap((tool) =>
            volume(
                tool,
                tool,
                collaboration[tool].dataVolumeGiB,
                toolAzIndex(tool, zones.length),
                collaboration[tool].instanceType,
            ),
        ),
    ];
}

/** The state an update with `config` leaves deployed; exported as `deployedState`. */
export function deployedState(config: StackConfig): DeployedState {
    const state = holders(config);
    return {
        version: DEPLOYED_STATE_VERSION,
        region: config.region,
        migrationPhase: config.database.selfManaged ? config.migration.phase : "none",
        network: {
            vpcCidr: config.network.vpcCidr,
            availabilityZones: [...config.network.availabilityZones],
            subnets: planSubnets(config.network.vpcCidr, config.network.availabilityZones),
        },
        volumes: volumes(config, state),
        holders: state,
        rabbitmqNodes: state.rabbitmq === "running" ? config.rabbitmq.nodeCount : 0,
        shape: {
            clients: config.clients,
            web: config.web.autoScaling.enabled ? "autoScaling" : "fixed",
            database: config.database.selfManaged ? "selfManaged" : "rds",
        },
    };
}

/** One refused change: the key, what is deployed, what was asked, why it fails or loses data, and the safe way. */
export interface StateProblem {
    /** The config key, without the namespace: `vpcCidr`, `database.dataVolume.sizeGiB`... */
    readonly key: string;
    readonly deployed: string;
    readonly asked: string;
    readonly why: string;
    readonly fix: string;
}

/** The config key that switches a data holder. */
export const HOLDER_KEYS: Readonly<Record<DataHolder, string>> = {
    mysql: "database.selfManaged",
    "mysql-replica": "database.replica",
    rabbitmq: "rabbitmq",
    jenkins: "jenkins",
    jira: "collaboration.jira",
    wiki: "collaboration.wiki",
    cms: "collaboration.cms",
    rds: "database.rds.enabled",
};

/** The config key of a holder's volume size. */
const SIZE_KEYS: Readonly<Record<ServerHolder, string>> = {
    mysql: "database.dataVolume.sizeGiB",
    "mysql-replica": "database.dataVolume.sizeGiB",
    rabbitmq: "rabbitmq.dataVolumeGiB",
    jenkins: "jenkins.dataVolumeGiB",
    jira: "collaboration.jira.dataVolumeGiB",
    wiki: "collaboration.wiki.dataVolumeGiB",
    cms: "collaboration.cms.dataVolumeGiB",
};

/** The config key of a holder's instance type. */
const TYPE_KEYS: Readonly<Record<ServerHolder, string>> = {
    mysql: "database.instanceType",
    "mysql-replica": "database.replica.instanceType",
    rabbitmq: "rabbitmq.instanceType",
    jenkins: "jenkins.instanceType",
    jira: "collaboration.jira.instanceType",
    wiki: "collaboration.wiki.instanceType",
    cms: "collaboration.cms.instanceType",
};

const list = (values: readonly string[]) => `[${values.join(", ")}]`;

/** The deployed phase, and the phase the config asks for: refused unless it is one step on (migration.ts). */
export function phaseProblems(deployed: MigrationPhase, asked: MigrationPhase): StateProblem[] {
    const allowed = allowedNextPhases(deployed);
    if (allowed.includes(asked)) {
        return [];
    }
    return [
        {
            key: "migration.phase",
            deployed,
            asked,
            why:
                `"${asked}" cannot follow "${deployed}" in one update: each phase's gate checks what the one ` +
                "before it left (a full, validated copy before the cutover; RDS serving before the servers go), " +
                "and a skipped phase moves db.<zone> or deletes the servers without that check",
            fix: `set migration.phase to one of ${allowed.join(", ")} (docs/migration.md)`,
        },
    ];
}

/** `migration.from` as an assertion: refused when it is not the phase the estate is in. */
export function declaredFromProblems(deployed: MigrationPhase, declared: MigrationPhase | undefined): StateProblem[] {
    if (declared === undefined || declared === deployed) {
        return [];
    }
    return [
        {
            key: "migration.from",
            deployed,
            asked: declared,
            why: "the stack file says the estate is in another phase than the one it is deployed in, so it was written for another estate or is out of date",
            fix: "remove migration.from: the program reads the deployed phase itself",
        },
    ];
}

type Rule = (previous: DeployedState, next: DeployedState) => StateProblem[];

const regionRule: Rule = (previous, next) =>
    previous.region === next.region
        ? []
        : [
              {
                  key: "aws:region",
                  deployed: previous.region,
                  asked: next.region,
                  why: "every resource of the stack would be created anew in the other region and the deployed ones deleted, their data with them",
                  fix: `keep aws:region: ${previous.region}; a new region is a new stack`,
              },
          ];

const vpcCidrRule: Rule = (previous, next) =>
    previous.network.vpcCidr === next.network.vpcCidr
        ? []
        : [
              {
                  key: "vpcCidr",
                  deployed: previous.network.vpcCidr,
                  asked: next.network.vpcCidr,
                  why: "a VPC's primary CIDR cannot change: the VPC and every subnet would be replaced, and with them every server, load balancer and database in them",
                  fix: `keep vpcCidr: ${previous.network.vpcCidr}`,
              },
          ];

/**
 * The AZ list may only grow at its end: each AZ has a fixed slot of the VPC
 * by its position (domain/network-layout.ts), so an appended AZ gets a new
 * slot and moves nothing. A removed, replaced or reordered AZ moves subnets.
 */
const availabilityZonesRule: Rule = (previous, next) => {
    if (previous.network.vpcCidr !== next.network.vpcCidr) {
        // Every subnet moves with a new CIDR; vpcCidrRule says so once.
        return [];
    }
    const before = previous.network.subnets;
    const moved = before.filter((subnets) => {
        const now = next.network.subnets.find((s) => s.availabilityZone === subnets.availabilityZone);
        return (
            !now ||
            now.private !== subnets.private ||
            now.public !== subnets.public ||
            now.isolated !== subnets.isolated
        );
    });
    if (moved.length === 0) {
        return [];
    }
    const previousZones = previous.network.availabilityZones;
    return [
        {
            key: "availabilityZones",
            deployed: list(previousZones),
            asked: list(next.network.availabilityZones),
            why:
                `the subnets of ${moved.map((s) => s.availabilityZone).join(", ")} would be replaced or moved, and ` +
                "every server, volume and NAT gateway in them with them",
            fix: `keep ${list(previousZones)} in this order; an AZ may only be appended at the end`,
        },
    ];
};

/** Each deployed volume stays while its holder does: it may grow, never shrink, never move to another AZ. */
const volumeRule: Rule = (previous, next) =>
    previous.volumes.flatMap((before): StateProblem[] => {
        const after = next.volumes.find((v) => v.label === before.label);
        if (!after) {
            // A holder that goes altogether is the holders rule's; one that stays loses this volume.
            return next.holders[before.holder] === "absent"
                ? []
                : [
                      {
                          key: before.holder === "rabbitmq" ? "rabbitmq.nodeCount" : HOLDER_KEYS[before.holder],
                          deployed: `${before.label}'s volume (${before.sizeGiB} GiB)`,
                          asked: "without it",
                          why: "the volume would be deleted with its data; it is protected, so the update stops halfway",
                          fix: `keep ${before.label}: a node is removed by hand, its queues shrunk off it first (docs/tier150k.md)`,
                      },
                  ];
        }
        const problems: StateProblem[] = [];
        if (after.sizeGiB < before.sizeGiB) {
            problems.push({
                key: SIZE_KEYS[before.holder],
                deployed: `${before.label}: ${before.sizeGiB} GiB`,
                asked: `${after.sizeGiB} GiB`,
                why: "an EBS volume cannot shrink: the update fails on the volume, after the changes it made before it",
                fix: `keep ${before.sizeGiB} GiB or more; to use a smaller volume, copy the data to a new one by hand`,
            });
        }
        if (after.availabilityZone !== before.availabilityZone) {
            problems.push({
                key: "availabilityZones",
                deployed: `${before.label} in ${before.availabilityZone}`,
                asked: `${before.label} in ${after.availabilityZone}`,
                why: "an EBS volume lives in one AZ: moving it replaces it with an empty one (its protection stops the update halfway)",
                fix: "keep the AZ list as deployed; append new AZs at its end only where no server moves",
            });
        }
        return problems;
    });

/** A stateful server keeps its CPU architecture: its AMI is pinned (ignoreChanges), so the other one cannot boot it. */
const architectureRule: Rule = (previous, next) =>
    previous.volumes.flatMap((before): StateProblem[] => {
        const after = next.volumes.find((v) => v.label === before.label);
        if (!before.architecture || !after?.architecture || after.architecture === before.architecture) {
            return [];
        }
        return [
            {
                key: TYPE_KEYS[before.holder],
                deployed: `${before.label} on ${before.architecture}`,
                asked: after.architecture,
                why:
                    "the instance type changes in place but the AMI does not (ignoreChanges keeps it, so the server is " +
                    "never replaced by accident): the instance would not boot its AMI",
                fix: `keep a ${before.architecture} instance type; to change architecture, retire the server and restore its final snapshot onto a new one`,
            },
        ];
    });

/**
 * A data holder leaves only by its retire step: running -> retired. Absent ->
 * retired is refused too (it would create an empty volume to keep), and a
 * retired one stays retired (its final snapshot is protected).
 */
function holderProblem(holder: DataHolder, before: HolderState, after: HolderState, phase: MigrationPhase) {
    const key = HOLDER_KEYS[holder];
    const retire =
        holder === "mysql"
            ? "retire the servers through the migration (migration.phase: decommissioned after cutover)"
            : holder === "rds"
              ? "keep database.rds.enabled: true"
              : `set ${key}.enabled: false with ${key}.retired: true`;
    if (before === "running" && after === "absent") {
        if (holder === "rds" && (phase === "none" || phase === "replicating")) {
            // RDS has not served the application yet: abandoning the migration may drop it.
            return undefined;
        }
        return {
            key,
            deployed: "running",
            asked: "removed",
            why: "its server, data volume and snapshot schedule would be deleted with the data on them (the volume's protection stops the update halfway)",
            fix: retire,
        };
    }
    if (before === "retired" && after !== "retired") {
        return {
            key,
            deployed: "retired (volume and final snapshot kept)",
            asked: after === "running" ? "running again" : "removed",
            why:
                after === "running"
                    ? "a retired server does not come back by config: its final snapshot is protected and the program would delete it"
                    : "the retired volume and its final snapshot would be deleted from the stack (they are protected, so the update stops)",
            fix:
                after === "running"
                    ? `keep ${holder === "mysql" ? "migration.phase: decommissioned" : `${key}.retired: true`}; restore the snapshot by hand if the data is needed`
                    : `keep ${holder === "mysql" ? "database.selfManaged: true and migration.phase: decommissioned" : `${key}.retired: true`}`,
        };
    }
    if (before === "absent" && after === "retired") {
        return {
            key,
            deployed: "never deployed",
            asked: "retired",
            why: "there is no server to retire: the update would create an empty volume and snapshot it",
            fix: `remove ${key}.retired`,
        };
    }
    return undefined;
}

const holdersRule: Rule = (previous, next) =>
    DATA_HOLDERS.flatMap((holder) => {
        const problem = holderProblem(holder, previous.holders[holder], next.holders[holder], previous.migrationPhase);
        return problem ? [problem] : [];
    });

/**
 * Quorum queues (the cluster's default type) keep a member on each node they
 * were declared on and need a majority of them. Fewer than three nodes, or
 * fewer than a majority of the deployed ones, loses the queues' quorum.
 */
export function rabbitmqMinimumNodes(deployedNodes: number): number {
    return deployedNodes >= 3 ? Math.max(3, Math.floor(deployedNodes / 2) + 1) : deployedNodes;
}

const rabbitmqRule: Rule = (previous, next) => {
    const minimum = rabbitmqMinimumNodes(previous.rabbitmqNodes);
    if (next.holders.rabbitmq !== "running" || previous.rabbitmqNodes === 0 || next.rabbitmqNodes >= minimum) {
        return [];
    }
    return [
        {
            key: "rabbitmq.nodeCount",
            deployed: `${previous.rabbitmqNodes} nodes`,
            asked: `${next.rabbitmqNodes}`,
            why: `quorum queues keep a member on each of the ${previous.rabbitmqNodes} nodes and stop without a majority of them: the queues and the messages in them would be lost`,
            fix: `keep ${minimum} nodes or more (removing nodes by hand: docs/tier150k.md)`,
        },
    ];
};

/** The rules an update is checked against, in the order their problems are listed. */
export const STATE_RULES: readonly Rule[] = [
    regionRule,
    vpcCidrRule,
    availabilityZonesRule,
    volumeRule,
    architectureRule,
    holdersRule,
    rabbitmqRule,
    (previous, next) => phaseProblems(previous.migrationPhase, next.migrationPhase),
];

/** Every problem of deploying `next` over `previous`, all at once. */
export function stateProblems(previous: DeployedState, next: DeployedState): StateProblem[] {
    return STATE_RULES.flatMap((rule) => rule(previous, next));
}

/** Why a read-back value is not a state this program can check against, or undefined when it is one. */
export function unreadableStateProblem(value: unknown): string | undefined {
    if (value === null || typeof value !== "object") {
        return "is not an object";
    }
    const state = value as Partial<DeployedState>;
    if (typeof state.version !== "number" || state.version > DEPLOYED_STATE_VERSION) {
        return `has version ${String(state.version)}, and this program knows version ${DEPLOYED_STATE_VERSION} at most: a newer version of the program deployed the stack`;
    }
    const fields: (keyof DeployedState)[] = [
        "region",
        "migrationPhase",
        "network",
        "volumes",
        "holders",
        "rabbitmqNodes",
        "shape",
    ];
    const missing = fields.filter((field) => state[field] === undefined);
    if (missing.length > 0) {
        return `lacks ${missing.join(", ")}`;
    }
    if (!(MIGRATION_PHASES as readonly string[]).includes(state.migrationPhase!)) {
        return `has an unknown migration phase "${state.migrationPhase}"`;
    }
    return undefined;
}
