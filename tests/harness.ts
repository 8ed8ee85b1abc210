/**
 * The one shared mock harness. Each stack is evaluated once per test run and
 * shared by every test file; evaluations are queued because the Pulumi runtime
 * is process-global.
 */
import * as path from "path";
import { bootScriptOf as publishedBootScript } from "../plan/boot-scripts";
import { DeployedState, deployedState } from "../domain/deployed-state";
import { parseStackConfig } from "../stacks/config";
import { ConfigError } from "../domain/config-problem";
import {
    ConfigMap,
    EvaluateOptions,
    RecordedResource,
    Recording,
    evaluateStack,
    PROJECT_ROOT,
    roleOf,
    stackConfig,
    stackConfigFromFile,
} from "../plan/evaluate";

export { PROJECT_ROOT, STACKS, stackConfig, projectDefaults } from "../plan/evaluate";
export type { ConfigMap, RecordedResource, Recording } from "../plan/evaluate";

export interface HarnessOptions extends EvaluateOptions {
    /** The state the stack's last update recorded (its `deployedState` output), read back by the program. */
    previous?: DeployedState;
}

let queue: Promise<unknown> = Promise.resolve();
const evaluations = new Map<string, Promise<Recording>>();

/**
 * The program's recording for `stack` (or `options.config` under the stack name
 * `options.stackName ?? stack`). Each distinct stack name and config is evaluated
 * once per process, whichever file asks first, and evaluations run one after
 * another because the Pulumi runtime is process-global. Callers share the
 * recording: read it, never change it.
 */
export function evaluate(stack: string, options: HarnessOptions = {}): Promise<Recording> {
    const { previous, ...evaluateOptions } = options;
    const config = options.config ?? stackConfig(stack);
    const previousOutputs = previous ? { deployedState: previous } : options.previousOutputs;
    const key = JSON.stringify([options.stackName ?? stack, Object.entries(config).sort(), previousOutputs]);
    let recording = evaluations.get(key);
    if (!recording) {
        recording = queue.then(() => evaluateStack(stack, { ...evaluateOptions, config, previousOutputs }));
        queue = recording.catch(() => undefined);
        evaluations.set(key, recording);
    }
    return recording;
}

/** The recording of a stack's own config. */
export function recordStack(stack: string): Promise<Recording> {
    return evaluate(stack);
}

/**
 * The ConfigError with which the config loader refuses `values` for `stack`,
 * without running the program; fails the test when they are accepted. That the
 * program refuses the same way before registering anything is proven once per
 * kind of check (tests/config.test.ts), not per rule.
 */
export function configErrorOf(values: ConfigMap, stack = "tier30k"): ConfigError {
    try {
        parseStackConfig({ project: "scale-tiers", stack, values });
    } catch (error) {
        if (error instanceof ConfigError) {
            return error;
        }
        throw error;
    }
    throw new Error("config was accepted");
}

/** configErrorOf's message: every problem, each with its key, what is wrong and the fix. */
export function refusal(values: ConfigMap, stack = "tier30k"): string {
    return configErrorOf(values, stack).message;
}

/**
 * tests/fixtures/promoted-to-1m.yaml: a tier150k estate promoted to 1M, at the
 * end of its migration to RDS (`decommissioned`), RabbitMQ still draining into
 * SQS; given as the CLI would give it, over Pulumi.yaml's defaults. The shipped
 * Pulumi.tier1m.yaml is an estate built at 1M from nothing instead.
 */
export const PROMOTED_TO_1M = "promoted-to-1m";

/** A stack's real config, or the promoted-to-1M fixture's. */
function baseConfig(stack: string): ConfigMap {
    return stack === PROMOTED_TO_1M
        ? stackConfigFromFile(path.join(PROJECT_ROOT, "tests", "fixtures", `${PROMOTED_TO_1M}.yaml`))
        : stackConfig(stack);
}

/** The promoted-to-1M estate's config (its stack name in evaluations: tier1m). */
export function promotedTo1m(): ConfigMap {
    return baseConfig(PROMOTED_TO_1M);
}

/** A stack's real config with some keys replaced (values given as the CLI would: strings). */
export function configWith(stack: string, overrides: ConfigMap, removals: string[] = []): ConfigMap {
    const config = { ...baseConfig(stack), ...overrides };
    removals.forEach((key) => delete config[key]);
    return config;
}

/** A stack's real config with one object-valued key's fields merged (deeply) with `patch`, and `removals` gone. */
export function configPatched(
    stack: string,
    key: string,
    patch: Record<string, unknown>,
    removals: string[] = [],
): ConfigMap {
    return withPatch(configWith(stack, {}, removals), key, patch);
}

/** `config` with one object-valued key's fields merged (deeply) with `patch`. */
export function withPatch(config: ConfigMap, key: string, patch: Record<string, unknown>): ConfigMap {
    const current = config[key] ? (JSON.parse(config[key]) as Record<string, unknown>) : {};
    const merge = (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> => {
        const out = { ...a };
        for (const [k, v] of Object.entries(b)) {
            const existing = out[k];
            out[k] =
                v !== null && typeof v === "object" && !Array.isArray(v) && existing && typeof existing === "object"
                    ? merge(existing as Record<string, unknown>, v as Record<string, unknown>)
                    : v;
        }
        return out;
    };
    return { ...config, [key]: JSON.stringify(merge(current, patch)) };
}

/** The tools' certificate in tier150kOperated. */
export const TOOLS_CERTIFICATE_ARN =
    "arn:aws:acm:ap-northeast-2:123456789012:certificate/12345678-1234-1234-1234-123456789012";
/** The site's certificate in tier150kOperated. */
export const SITE_CERTIFICATE_ARN =
    "arn:aws:acm:ap-northeast-2:123456789012:certificate/87654321-4321-4321-4321-210987654321";

/**
 * tier150k as a team runs it: two admin networks for the tools and the RabbitMQ
 * management UI, certificates of its own for the site and the tools (no
 * domain), two alarm subscribers. One evaluation, shared by the files that
 * check those settings.
 */
export function tier150kOperated(): ConfigMap {
    const adminCidrs = ["10.8.0.0/16", "172.20.0.0/16"];
    const ownCertificates = configPatched(
        "tier150k",
        "scale-tiers:loadBalancer",
        { certificateArn: SITE_CERTIFICATE_ARN },
        ["scale-tiers:domain"],
    );
    const withCertificate = withPatch(ownCertificates, "scale-tiers:collaboration", {
        certificateArn: TOOLS_CERTIFICATE_ARN,
        adminCidrs,
    });
    const withManagement = withPatch(withCertificate, "scale-tiers:rabbitmq", { managementCidrs: adminCidrs });
    return withPatch(withManagement, "scale-tiers:monitoring", {
        alarmEmails: ["ops@example.com", "oncall@example.com"],
    });
}

/** The phase an update to a migration phase starts from, on the way to RDS (and back, for a rollback). */
const PREVIOUS_PHASE = {
    none: "none",
    replicating: "none",
    cutover: "replicating",
    rollback: "cutover",
    decommissioned: "cutover",
} as const;

/**
 * The promoted-to-1M estate at an earlier migration phase than its fixture's
 * (`decommissioned`): the estate on its way from tier150k.
 */
export function tier1mAt(phase: Exclude<keyof typeof PREVIOUS_PHASE, "decommissioned">): ConfigMap {
    return configPatched(PROMOTED_TO_1M, "scale-tiers:migration", { phase });
}

/** The state an update with `config` records (its `deployedState` output). */
export function stateOf(config: ConfigMap, stack = "tier1m"): DeployedState {
    return deployedState(parseStackConfig({ project: "scale-tiers", stack, values: config }));
}

/**
 * Evaluation options for `config` as its estate's next update: the state read
 * back is the one the same estate recorded one migration phase earlier (the
 * same phase for `none`), so the update takes exactly one step.
 */
export function reached(config: ConfigMap, stack = "tier1m"): HarnessOptions {
    const { phase } = parseStackConfig({ project: "scale-tiers", stack, values: config }).migration;
    const before = withPatch(config, "scale-tiers:migration", { phase: PREVIOUS_PHASE[phase] });
    return { config, previous: stateOf(before, stack) };
}

export function ofType(recording: Recording, type: string): RecordedResource[] {
    return recording.resources.filter((r) => r.type === type);
}

export function named(recording: Recording, type: string, name: string): RecordedResource {
    const found = recording.resources.find((r) => r.type === type && r.name === name);
    if (!found) {
        throw new Error(`${recording.stack} has no ${type} named ${name}`);
    }
    return found;
}

/** Resolved input `key` of a resource, typed by the caller. */
export function input<T>(resource: RecordedResource, key: string): T {
    return resource.inputs[key] as T;
}

/** The EC2 instances whose `role` tag is `role`. */
export function byRole(recording: Recording, role: string): RecordedResource[] {
    return ofType(recording, "aws:ec2/instance:Instance").filter((i) => roleOf(i) === role);
}

/** The boot script a server or launch template runs: the object its loader (user data) fetches, digest checked. */
export function bootScriptOf(recording: Recording, server: RecordedResource): string {
    return publishedBootScript(recording.resources, server);
}

/** Every string anywhere in a value, for leak checks. */
export function allStrings(value: unknown): string[] {
    if (typeof value === "string") {
        return [value];
    }
    if (Array.isArray(value)) {
        return value.flatMap(allStrings);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).flatMap(allStrings);
    }
    return [];
}

/** One statement of an IAM policy document (a role's, a bucket's, a key's...), the fields the tests read. */
export interface PolicyStatement {
    Sid?: string;
    Effect: string;
    Principal?: unknown;
    Action?: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, unknown>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
    Version?: string;
    Statement: PolicyStatement[];
}

/** A policy document from its JSON text. */
export function parsePolicy(text: string): PolicyDocument {
    return JSON.parse(text) as PolicyDocument;
}

/** An SSM Command document (schema 2.2), the fields the tests read. */
export interface CommandDocument {
    schemaVersion: string;
    parameters?: Record<string, { type?: string; allowedPattern?: string }>;
    mainSteps: { action: string; name?: string; inputs: { runCommand: string[] } }[];
}
