/**
 * The dependency graph of a recording and the critical path of a first
 * `pulumi up` through it. Pure functions.
 *
 * Inputs are recorded resolved, without the resource their values came from,
 * so edges are rebuilt from two sources:
 * - `dependsOn` (a component target stands for all its descendants, as in Pulumi);
 * - values: the mocks (plan/mocks.ts) give every resource identifying outputs
 *   (id `<name>-id`, ARN, name, address...). Computing them again with the same
 *   mocks and finding them in another resource's inputs (equal, or inside a
 *   string such as a policy document, bounded by a non-name character) shows
 *   an output flowing into an input. Only identifying outputs count: values
 *   that merely echo config (an AZ name) would link unrelated resources.
 * Parents are not edges: a component is created instantly and a child does not
 * wait for its parent's outputs unless it uses them.
 */
import { RecordedResource, Recording } from "./evaluate";
import { awsMocks } from "./mocks";

/** Outputs that identify a resource (its mocks derive them from its name). */
const IDENTIFYING_OUTPUTS = [
    "arn",
    "name",
    "bucket",
    "dnsName",
    "zoneId",
    "privateIp",
    "result",
    "vpcId",
    "publicSubnetIds",
    "privateSubnetIds",
    "isolatedSubnetIds",
];

export interface Graph {
    /** URN -> URNs it depends on (must exist before it is created). */
    readonly dependencies: ReadonlyMap<string, readonly string[]>;
}

function strings(value: unknown): string[] {
    if (typeof value === "string") {
        return [value];
    }
    if (Array.isArray(value)) {
        return value.flatMap(strings);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).flatMap(strings);
    }
    return [];
}

/** The values by which other resources can refer to `resource`, as the mocks produce them. */
export function identifiers(resource: RecordedResource, region: string): string[] {
    if (!resource.custom && resource.type !== "awsx:ec2:Vpc") {
        return [];
    }
    const mocked = awsMocks(region).newResource({
        type: resource.type,
        name: resource.name,
        inputs: resource.inputs,
        custom: resource.custom,
        provider: "",
        id: undefined,
    }) as { id?: string; state: Record<string, unknown> };
    const outputs = IDENTIFYING_OUTPUTS.filter(
        (key) => JSON.stringify(mocked.state[key]) !== JSON.stringify(resource.inputs[key]),
    ).flatMap((key) => strings(mocked.state[key]));
    return [...(mocked.id ? [mocked.id] : []), ...outputs].filter((value) => value.length > 0);
}

const NAME_CHAR = /[A-Za-z0-9_.-]/;

/** True when `token` occurs in `text` as a whole (not followed or preceded by a name character). */
function containsToken(text: string, token: string): boolean {
    for (let at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
        const before = at === 0 ? "" : text[at - 1];
        const after = text[at + token.length] ?? "";
        if (!NAME_CHAR.test(after) && !(before && NAME_CHAR.test(before) && NAME_CHAR.test(token[0]))) {
            return true;
        }
    }
    return false;
}

/** Builds the graph of a recording (see the module comment for how edges are found). */
export function buildGraph(recording: Recording): Graph {
    const region = recording.config["aws:region"] ?? "ap-northeast-2";
    const resources = recording.resources;
    const children = new Map<string, string[]>();
    resources.forEach((r) => r.parent && children.set(r.parent, [...(children.get(r.parent) ?? []), r.urn]));
    const descendants = (urn: string): string[] =>
        (children.get(urn) ?? []).flatMap((child) => [child, ...descendants(child)]);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const producers = resources.flatMap((r) => identifiers(r, region).map((token) => ({ token, urn: r.urn })));
    const exact = new Map<string, string[]>();
    producers.forEach((p) => exact.set(p.token, [...(exact.get(p.token) ?? []), p.urn]));

    const dependencies = new Map<string, string[]>();
    for (const resource of resources) {
        const deps = new Set<string>();
        for (const target of resource.dependsOn) {
            const node = byUrn.get(target);
            (node && !node.custom && node.type !== "awsx:ec2:Vpc" ? descendants(target) : [target]).forEach((d) =>
                deps.add(d),
            );
        }
        for (const value of strings(resource.inputs)) {
            (exact.get(value) ?? []).forEach((urn) => deps.add(urn));
            // Identifiers inside longer strings: policy documents, connection strings.
            if (value.length > 20) {
                producers.filter((p) => containsToken(value, p.token)).forEach((p) => deps.add(p.urn));
            }
        }
        deps.delete(resource.urn);
        dependencies.set(resource.urn, [...deps]);
    }
    return { dependencies };
}

/** Typical creation times (seconds) by resource type; anything else takes DEFAULT_SECONDS. */
export const CREATION_SECONDS: Readonly<Record<string, number>> = {
    // VPC, subnets, routes and the internet gateway ~30 s, then NAT gateways ~120 s, created in parallel.
    "awsx:ec2:Vpc": 150,
    "aws:ec2/natGateway:NatGateway": 120,
    "aws:lb/loadBalancer:LoadBalancer": 180,
    "aws:ec2/instance:Instance": 45,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 90,
    "aws:route53/zone:Zone": 45,
    // A record change waits for INSYNC.
    "aws:route53/record:Record": 40,
    "aws:ebs/volume:Volume": 10,
    "aws:ec2/volumeAttachment:VolumeAttachment": 10,
    "aws:iam/role:Role": 5,
    "aws:iam/instanceProfile:InstanceProfile": 10,
    "aws:ec2/securityGroup:SecurityGroup": 3,
    "aws:rds/instance:Instance": 900,
    "aws:opensearch/domain:Domain": 1200,
    "aws:elasticache/cluster:Cluster": 600,
    "aws:elasticache/replicationGroup:ReplicationGroup": 600,
    "aws:dms/replicationInstance:ReplicationInstance": 600,
    "aws:autoscaling/group:Group": 60,
    // ACM issues a DNS-validated certificate minutes after the record resolves (up to 30 minutes, AWS says).
    "aws:acm/certificateValidation:CertificateValidation": 300,
    "random:index/randomPassword:RandomPassword": 0,
};
export const DEFAULT_SECONDS = 5;

/** Creation time of one resource: components take none (their children are counted); awsx VPC per NAT strategy. */
export function creationSeconds(resource: RecordedResource): number {
    if (resource.type === "awsx:ec2:Vpc") {
        const strategy = (resource.inputs.natGateways as { strategy?: string } | undefined)?.strategy;
        return strategy === "None" ? 30 : CREATION_SECONDS[resource.type];
    }
    if (resource.type === "aws:rds/instance:Instance" && !resource.inputs.multiAz) {
        return 600;
    }
    if (!resource.custom) {
        return 0;
    }
    return CREATION_SECONDS[resource.type] ?? DEFAULT_SECONDS;
}

export interface PathStep {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly seconds: number;
    /** When it finishes, counted from the start of the run. */
    readonly finishSeconds: number;
}

export interface CriticalPath {
    readonly totalSeconds: number;
    readonly path: readonly PathStep[];
}

/**
 * The longest chain (by creation time) through the graph: with unbounded
 * parallelism, as Pulumi creates independent resources concurrently, this is
 * how long a first `pulumi up` takes.
 */
export function criticalPath(
    nodes: readonly { urn: string; name: string; type: string; seconds: number }[],
    dependencies: ReadonlyMap<string, readonly string[]>,
): CriticalPath {
    const byUrn = new Map(nodes.map((n) => [n.urn, n]));
    const finish = new Map<string, { at: number; via?: string }>();
    const visiting = new Set<string>();
    const finishOf = (urn: string): number => {
        const known = finish.get(urn);
        if (known) {
            return known.at;
        }
        if (visiting.has(urn)) {
            throw new Error(`dependency cycle through ${urn}`);
        }
        visiting.add(urn);
        let start = 0;
        let via: string | undefined;
        for (const dep of dependencies.get(urn) ?? []) {
            if (byUrn.has(dep) && finishOf(dep) > start) {
                start = finishOf(dep);
                via = dep;
            }
        }
        visiting.delete(urn);
        const at = start + (byUrn.get(urn)?.seconds ?? 0);
        finish.set(urn, { at, via });
        return at;
    };
    let last: string | undefined;
    for (const node of nodes) {
        if (last === undefined || finishOf(node.urn) > finishOf(last)) {
            last = node.urn;
        }
    }
    const path: PathStep[] = [];
    for (let urn = last; urn !== undefined; urn = finish.get(urn)?.via) {
        const node = byUrn.get(urn)!;
        path.unshift({ urn, name: node.name, type: node.type, seconds: node.seconds, finishSeconds: finishOf(urn) });
    }
    return { totalSeconds: last === undefined ? 0 : finishOf(last), path };
}

/** The critical path of a recording's first `pulumi up`. */
export function deployTime(recording: Recording, graph: Graph = buildGraph(recording)): CriticalPath {
    const nodes = recording.resources.map((r) => ({
        urn: r.urn,
        name: r.name,
        type: r.type,
        seconds: creationSeconds(r),
    }));
    return criticalPath(nodes, graph.dependencies);
}

export function formatCriticalPath(result: CriticalPath): string {
    const minutes = (result.totalSeconds / 60).toFixed(1);
    return [
        `  first \`pulumi up\`: ~${result.totalSeconds} s (${minutes} min) along the critical path:`,
        ...result.path.map(
            (s) =>
                `    ${String(s.finishSeconds).padStart(5)} s  +${String(s.seconds).padEnd(4)} ${s.name} (${s.type})`,
        ),
    ].join("\n");
}
