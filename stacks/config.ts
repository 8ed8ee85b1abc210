/**
 * Reads a stack's config: decodes what the CLI hands over, validates it
 * against the schema (domain/stack-config.ts) and the rules that span settings
 * (domain/config-rules.ts), and hands it down typed, defaulted and deeply
 * frozen.
 *
 * Every problem is collected into one ConfigError, so a bad stack file fails
 * before any resource is registered and lists all that is wrong, each with its
 * key, what is wrong and the fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import { regionZones } from "../domain/availability-zones";
import { REGION_PATTERN } from "../domain/config-checks";
import { problemsOf, shapeOf, unwrap } from "../domain/config-fields";
import { ConfigError, ConfigProblem, nearest } from "../domain/config-problem";
import { ruleProblems } from "../domain/config-rules";
import { SCALE_TIERS_SCHEMA, StackConfig, resolveStackConfig } from "../domain/stack-config";

/** What Pulumi hands the program: every config value as a string, keyed `namespace:key`. */
export interface RawStackConfig {
    readonly project: string;
    readonly stack: string;
    readonly values: { readonly [key: string]: string };
}

/** Top-level keys whose value is a plain string even when it happens to look like JSON. */
const STRING_KEYS = new Set(
    Object.entries(shapeOf(SCALE_TIERS_SCHEMA))
        .filter(([, schema]) => unwrap(schema).core instanceof z.ZodString)
        .map(([key]) => key),
);

/**
 * Decodes CLI config strings. Objects, lists, numbers and booleans arrive as
 * JSON text; a value that is not JSON stays a string, so the schema reports
 * it as the wrong type rather than as a parse error.
 */
function decode(field: string, text: string): unknown {
    if (STRING_KEYS.has(field)) {
        return text;
    }
    try {
        return JSON.parse(text) as unknown;
    } catch {
        return text;
    }
}

function namespaceValues(raw: RawStackConfig): Record<string, unknown> {
    const prefix = `${raw.project}:`;
    return Object.fromEntries(
        Object.entries(raw.values)
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, text]) => [key.slice(prefix.length), decode(key.slice(prefix.length), text)]),
    );
}

/**
 * Config namespaces something in this program reads: its own, its providers'
 * (aws, awsx, random, tls) and Pulumi's. A key in any other namespace would be
 * ignored, and an ignored typo can delete what the key was meant to keep
 * (`scale-tier:memcached` on a deployed estate removes its memcached nodes).
 */
const PROVIDER_NAMESPACES = ["aws", "awsx", "random", "tls", "pulumi"] as const;

/** Refuses keys that no reader would see: without a namespace, or in a namespace nothing reads. */
function namespaceProblems(raw: RawStackConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const namespaces = [raw.project, ...PROVIDER_NAMESPACES];
    for (const key of Object.keys(raw.values)) {
        const colon = key.indexOf(":");
        if (colon <= 0) {
            problems.push({
                key,
                problem:
                    "has no namespace, and the Pulumi CLI refuses a key that is not of the form <namespace>:<name>",
                fix: `write it as ${raw.project}:${key.slice(colon + 1)} if it is this program's setting`,
            });
            continue;
        }
        const namespace = key.slice(0, colon);
        if (!namespaces.includes(namespace)) {
            const meant = nearest(namespace, namespaces);
            problems.push({
                key,
                problem: `is in namespace "${namespace}", which nothing in this program reads, so the setting would be ignored`,
                fix: meant
                    ? `write it as ${meant}:${key.slice(colon + 1)}`
                    : `use one of the namespaces ${namespaces.join(", ")}, or remove it`,
            });
        }
    }
    return problems;
}

/** `aws:region`, or a problem and the default region so that the other checks can go on. */
function readRegion(raw: RawStackConfig): { region: string; problems: ConfigProblem[] } {
    const region = raw.values["aws:region"];
    if (region === undefined || !REGION_PATTERN.test(region)) {
        const problem = {
            key: "aws:region",
            problem: region === undefined ? "is not set" : `"${region}" is not an AWS region name`,
            fix: "set it to a region such as ap-northeast-2 (Pulumi.yaml sets this default)",
        };
        return { region: "ap-northeast-2", problems: [problem] };
    }
    return { region, problems: [] };
}

type Path = readonly PropertyKey[];

/** `values` without what `issues` found wrong, so that the defaults stand in and the rules can still run. */
function withoutWrongValues(values: unknown, issues: readonly z.core.$ZodIssue[], dropListEntries: boolean): unknown {
    const copy = structuredClone(values);
    const remove = (path: Path, field?: PropertyKey) => {
        let container: unknown = copy;
        let target = [...path, ...(field === undefined ? [] : [field])];
        const lastEntry = target.map((step) => typeof step).lastIndexOf("number");
        if (dropListEntries && lastEntry >= 0) {
            target = target.slice(0, lastEntry + 1);
        }
        for (const step of target.slice(0, -1)) {
            container = (container as Record<PropertyKey, unknown> | undefined)?.[step];
        }
        const last = target[target.length - 1];
        if (Array.isArray(container) && typeof last === "number") {
            container[last] = undefined;
        } else if (container !== null && typeof container === "object") {
            delete (container as Record<PropertyKey, unknown>)[last];
        }
    };
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys") {
            issue.keys.forEach((key) => remove(issue.path, key));
        } else {
            remove(issue.path);
        }
    }
    return compactLists(copy);
}

function compactLists(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.filter((entry) => entry !== undefined).map(compactLists);
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, compactLists(entry)]));
    }
    return value;
}

/**
 * The schema's problems with `values`, and the values parsed: where some are
 * wrong, parsed again without them (their defaults standing in, or a list
 * entry left out) so that the rules across settings still run.
 */
function validate(values: unknown): {
    problems: readonly z.core.$ZodIssue[];
    parsed?: z.output<typeof SCALE_TIERS_SCHEMA>;
} {
    const first = SCALE_TIERS_SCHEMA.safeParse(values, { reportInput: true });
    if (first.success) {
        return { problems: [], parsed: first.data };
    }
    let remaining = first.error.issues;
    let current = values;
    for (const dropListEntries of [false, true]) {
        current = withoutWrongValues(current, remaining, dropListEntries);
        const retry = SCALE_TIERS_SCHEMA.safeParse(current);
        if (retry.success) {
            return { problems: first.error.issues, parsed: retry.data };
        }
        remaining = retry.error.issues;
    }
    return { problems: first.error.issues };
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.values(value).forEach(deepFreeze);
        Object.freeze(value);
    }
    return value;
}

/**
 * Validates raw config and returns it typed, defaulted and frozen.
 * Throws one ConfigError that lists every problem.
 */
export function parseStackConfig(raw: RawStackConfig): StackConfig {
    const prefix = `${raw.project}:`;
    const { region, problems: regionProblems } = readRegion(raw);
    const given = namespaceValues(raw);
    const { problems: issues, parsed } = validate(given);
    const problems = [
        ...namespaceProblems(raw),
        ...regionProblems,
        ...problemsOf(SCALE_TIERS_SCHEMA, given, issues, prefix),
    ];
    if (parsed) {
        const config = resolveStackConfig(parsed, { project: raw.project, stack: raw.stack, region });
        const isGiven = (...path: string[]) =>
            path.reduce<unknown>((value, step) => (value as Record<string, unknown> | undefined)?.[step], given) !==
            undefined;
        problems.push(...ruleProblems({ config, given: isGiven }, prefix));
        if (problems.length === 0) {
            return deepFreeze(config);
        }
    }
    throw new ConfigError(problems);
}

/** Reads the running stack's config from the Pulumi runtime. */
export function loadStackConfig(): StackConfig {
    const config = parseStackConfig({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        values: pulumi.runtime.allConfig(),
    });
    if (!regionZones(config.region)) {
        void pulumi.log.warn(
            `aws:region ${config.region} is not in the program's table of AZs (domain/availability-zones.ts): ` +
                "availabilityZones were not checked against the region's",
        );
    }
    return config;
}
