/**
 * Turns a recording into an inventory: per component, the resource types with
 * their counts and the sizes that matter. Pure functions over recordings.
 */
import { RecordedResource, Recording } from "./evaluate";

export interface InventoryLine {
    readonly type: string;
    readonly count: number;
    /** Distinct sizes or settings worth showing, e.g. `t3.medium` or `gp3 100 GiB, protected`. */
    readonly details: readonly string[];
}

export interface ComponentInventory {
    /** Component type token, e.g. `scale-tiers:compute:WebTier`. */
    readonly component: string;
    readonly resourceCount: number;
    readonly lines: readonly InventoryLine[];
}

export interface StackInventory {
    readonly stack: string;
    readonly region: string;
    readonly resourceCount: number;
    readonly components: readonly ComponentInventory[];
    readonly outputs: Record<string, unknown>;
}

/** The size or setting of one resource that a reader of the plan wants to see. */
export function describeResource(resource: RecordedResource): string | undefined {
    const inputs = resource.inputs;
    switch (resource.type) {
        case "awsx:ec2:Vpc": {
            const nat = (inputs.natGateways as { strategy?: string } | undefined)?.strategy;
            const azs = (inputs.availabilityZoneNames as string[] | undefined)?.length;
            return `${inputs.cidrBlock as string | undefined}, ${azs} AZs, NAT ${nat}`;
        }
        case "aws:ec2/instance:Instance":
            return String(inputs.instanceType);
        case "aws:ebs/volume:Volume": {
            const volume = inputs as { type?: string; size?: number };
            return `${volume.type} ${volume.size} GiB${resource.protect ? ", protected" : ""}`;
        }
        case "aws:lb/loadBalancer:LoadBalancer":
            return inputs.internal ? "internal" : "internet-facing";
        case "aws:lb/listener:Listener": {
            const listener = inputs as { protocol?: string; port?: number };
            return `${listener.protocol}:${listener.port}`;
        }
        case "aws:cloudwatch/logGroup:LogGroup":
            return `${inputs.retentionInDays as number | undefined} days`;
        case "aws:dlm/lifecyclePolicy:LifecyclePolicy": {
            const schedules = (inputs.policyDetails as { schedules?: { name: string }[] } | undefined)?.schedules ?? [];
            return schedules.map((s) => s.name).join(", ");
        }
        case "aws:lb/targetGroup:TargetGroup": {
            const check = (inputs.healthCheck ?? {}) as { path?: string; protocol?: string };
            return `health ${check.path ?? check.protocol ?? (inputs.protocol as string | undefined)}`;
        }
        case "aws:ec2/vpcEndpoint:VpcEndpoint":
            return String(inputs.serviceName).split(".").pop();
        default:
            return undefined;
    }
}

/** `aws:ec2/instance:Instance` -> `aws.ec2.Instance`, the name the SDK class goes by. */
export function shortType(type: string): string {
    const [pkg, module, name] = type.split(":");
    return name === undefined ? type : `${pkg}.${module.split("/")[0]}.${name}`;
}

function componentLabel(type: string): string {
    return type.split(":")[1] ?? type;
}

export function inventory(recording: Recording): StackInventory {
    const byComponent = new Map<string, RecordedResource[]>();
    for (const resource of recording.resources) {
        if (resource.component === undefined || resource.component === resource.type) {
            continue;
        }
        byComponent.set(resource.component, [...(byComponent.get(resource.component) ?? []), resource]);
    }
    const components = [...byComponent.entries()].map(([component, resources]): ComponentInventory => {
        const byType = new Map<string, RecordedResource[]>();
        resources.forEach((r) => byType.set(r.type, [...(byType.get(r.type) ?? []), r]));
        const lines = [...byType.entries()]
            .map(([type, group]) => {
                const counts = new Map<string, number>();
                group.map(describeResource).forEach((d) => d && counts.set(d, (counts.get(d) ?? 0) + 1));
                const details = [...counts.entries()].map(([d, n]) =>
                    n > 1 && group.length > 1 && counts.size > 1 ? `${n}x ${d}` : d,
                );
                return { type, count: group.length, details };
            })
            .sort((a, b) => a.type.localeCompare(b.type));
        return { component, resourceCount: resources.length, lines };
    });
    return {
        stack: recording.stack,
        region: recording.config["aws:region"],
        resourceCount: components.reduce((sum, c) => sum + c.resourceCount, 0),
        components,
        outputs: recording.outputs,
    };
}

export function formatInventory(stack: StackInventory): string {
    const lines = [`${stack.stack} (${stack.region}): ${stack.resourceCount} resources`];
    for (const component of stack.components) {
        lines.push(`  ${componentLabel(component.component)} (${component.component}): ${component.resourceCount}`);
        const width = Math.max(...component.lines.map((l) => shortType(l.type).length));
        for (const line of component.lines) {
            const details = line.details.length > 0 ? `  ${line.details.join("; ")}` : "";
            lines.push(
                `    ${shortType(line.type).padEnd(width)}  x${String(line.count).padEnd(3)}${details}`.trimEnd(),
            );
        }
    }
    lines.push("  outputs:");
    for (const [key, value] of Object.entries(stack.outputs)) {
        lines.push(`    ${key} = ${typeof value === "string" ? value : JSON.stringify(value)}`);
    }
    return lines.join("\n");
}
