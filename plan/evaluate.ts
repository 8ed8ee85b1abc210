/**
 * Runs the real program (index.ts) for one stack under Pulumi mocks and
 * records every resource it registers: type, name, URN, parent, resolved
 * inputs and the options that matter for safety. No AWS, no Pulumi CLI.
 *
 * The stack's config is what the CLI would pass: Pulumi.yaml's declared
 * defaults, overlaid with Pulumi.<stack>.yaml, every value as a string.
 */
import { parse as parseYaml } from "yaml";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../stacks/config";
import { STACK_REFERENCE_TYPE, awsMocks } from "./mocks";

/** The program's own tree: the repository under ts-node, `bin/` once compiled. */
const PROGRAM_ROOT = path.resolve(__dirname, "..");
const PROGRAM_ENTRY = path.join(PROGRAM_ROOT, "index.js");

/** The repository: where Pulumi.yaml and the stack files are, above the compiled tree if that is what runs. */
export const PROJECT_ROOT = projectRoot(PROGRAM_ROOT);

function projectRoot(from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no Pulumi.yaml in ${from} or above it`);
        }
    }
}
/** Pulumi.yaml's project name. */
export function projectName(root = PROJECT_ROOT): string {
    return String(readYaml("Pulumi.yaml", root).name);
}

/**
 * The stacks of the repository: every `Pulumi.<name>.yaml` beside Pulumi.yaml,
 * smallest estate first (by its configured clients), whatever they are called.
 */
export function stackNames(root = PROJECT_ROOT): string[] {
    const names = fs
        .readdirSync(root)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined);
    const clients = (name: string) =>
        parseStackConfig({ project: projectName(root), stack: name, values: stackConfig(name, root) }).clients;
    const size = new Map(names.map((name) => [name, clients(name)]));
    return names.sort((a, b) => size.get(a)! - size.get(b)! || a.localeCompare(b));
}

export const STACKS: readonly string[] = stackNames();

export type ConfigMap = Record<string, string>;

export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** URN of the parent; the stack's for top-level components. */
    readonly parent?: string;
    /** Type token of the top-level component this resource belongs to. */
    readonly component?: string;
    readonly custom: boolean;
    /** Inputs as the provider would receive them (resolved, secrets unwrapped). */
    readonly inputs: Record<string, unknown>;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: readonly string[];
    readonly dependsOn: readonly string[];
    /** Earlier names the resource answers to (its aliases' names, or their URNs when given as URNs). */
    readonly aliases: readonly string[];
}

/** The `role` tag the program gives its servers (`web`, `mysql-primary`...), or "" when there is none. */
export function roleOf(resource: RecordedResource): string {
    return (resource.inputs.tags as Record<string, string> | undefined)?.role ?? "";
}

export interface Recording {
    readonly stack: string;
    readonly config: ConfigMap;
    readonly resources: readonly RecordedResource[];
    readonly outputs: Record<string, unknown>;
    /** What the program logged as warnings (`pulumi.log.warn`), which `pulumi preview` shows. */
    readonly warnings: readonly string[];
}

/** Turns a YAML value into what the CLI hands the program: strings, objects as JSON. */
function configString(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function readYaml(file: string, root: string): Record<string, unknown> {
    return (parseYaml(fs.readFileSync(path.resolve(root, file), "utf8")) ?? {}) as Record<string, unknown>;
}

/** Pulumi.yaml's config block as the CLI merges it: declared defaults and plain values, namespaced. */
export function projectDefaults(root = PROJECT_ROOT): ConfigMap {
    const project = readYaml("Pulumi.yaml", root);
    const name = String(project.name);
    const defaults: ConfigMap = {};
    for (const [key, declaration] of Object.entries((project.config ?? {}) as Record<string, unknown>)) {
        const fullKey = key.includes(":") ? key : `${name}:${key}`;
        if (declaration !== null && typeof declaration === "object" && !Array.isArray(declaration)) {
            const declared = declaration as { default?: unknown; value?: unknown };
            const value = declared.value ?? declared.default;
            if (value !== undefined) {
                defaults[fullKey] = configString(value);
            }
        } else {
            defaults[fullKey] = configString(declaration);
        }
    }
    return defaults;
}

/** The config the CLI would give `stack`: project defaults overlaid with the stack file. */
export function stackConfig(stack: string, root = PROJECT_ROOT): ConfigMap {
    return stackConfigFromFile(path.join(root, `Pulumi.${stack}.yaml`), root);
}

/** The config the CLI would give a stack whose file is `file`: `root`'s project defaults overlaid with it. */
export function stackConfigFromFile(file: string, root = PROJECT_ROOT): ConfigMap {
    return stackConfigFromText(fs.readFileSync(path.resolve(root, file), "utf8"), root);
}

/** The config the CLI would give a stack whose file holds `text`: `root`'s project defaults overlaid with it. */
export function stackConfigFromText(text: string, root = PROJECT_ROOT): ConfigMap {
    const stackFile = (parseYaml(text) ?? {}) as Record<string, unknown>;
    const values = (stackFile.config ?? {}) as Record<string, unknown>;
    const config = projectDefaults(root);
    for (const [key, value] of Object.entries(values)) {
        config[key] = configString(value);
    }
    return config;
}

function awaitOutput<T>(output: pulumi.Output<T>): Promise<T> {
    return (output as unknown as { promise(): Promise<T> }).promise();
}

/**
 * Drops the program's entry point from the require cache, so that each run
 * builds fresh resources: index.js builds the estate when it is loaded. The
 * modules below it only define (components, domain logic) and hold no state
 * of a run, so they stay loaded and compiled.
 */
function forgetProgramModules(): void {
    const entry = require.cache[PROGRAM_ENTRY];
    if (!entry) {
        return;
    }
    delete require.cache[PROGRAM_ENTRY];
    // Out of the cache, a module stays in its parent's `children`, and with it everything the
    // program made: every earlier evaluation would stay on the heap, and GC time grow with it.
    for (const module of Object.values(require.cache)) {
        // Modules loaded as ES modules have no `children`.
        if (module?.children) {
            module.children = module.children.filter((child) => child !== entry);
        }
    }
}

interface Captured {
    type: string;
    name: string;
    resource: pulumi.Resource;
    opts: pulumi.CustomResourceOptions;
}

function asResources(value: unknown): pulumi.Resource[] {
    if (Array.isArray(value)) {
        return value.filter((item) => pulumi.Resource.isInstance(item));
    }
    return pulumi.Resource.isInstance(value) ? [value] : [];
}

/** The program failed; `registered` lists the resources (type::name) it had constructed by then. */
export class EvaluationError extends Error {
    constructor(
        readonly cause: Error,
        readonly registered: readonly string[],
    ) {
        super(cause.message);
        this.name = "EvaluationError";
    }
}

export interface EvaluateOptions {
    /** Evaluate under this stack name instead (to model promoting an existing stack). */
    stackName?: string;
    /** Replaces the stack's config entirely (bad-input tests). */
    config?: ConfigMap;
    /**
     * The outputs the stack's last update left, as the program reads them back
     * through a StackReference to itself (`deployedState`...). Default none: a
     * stack that was never deployed.
     */
    previousOutputs?: Record<string, unknown>;
}

/** The organization the mocks run in: a self-managed backend's, as `pulumi.getOrganization()` gives it there. */
export const MOCK_ORGANIZATION = "organization";

/**
 * Evaluates the program for `stack`. Runs are sequential: the Pulumi runtime
 * is process-global, so callers must await one before starting the next.
 */
async function failOnUnhandledRejection<T>(work: Promise<T>): Promise<T> {
    let listener: (reason: unknown) => void = () => undefined;
    const rejected = new Promise<never>((_, reject) => {
        listener = (reason) => reject(reason instanceof Error ? reason : new Error(String(reason)));
    });
    process.on("unhandledRejection", listener);
    try {
        return await Promise.race([work, rejected]);
    } finally {
        process.off("unhandledRejection", listener);
    }
}

/**
 * Evaluates a stack's program under mocks. An apply that throws rejects a
 * promise nothing awaits, and the runtime would wait for it for ever: such a
 * rejection fails the evaluation instead.
 */
export function evaluateStack(stack: string, options: EvaluateOptions = {}): Promise<Recording> {
    return failOnUnhandledRejection(evaluate(stack, options));
}

async function evaluate(stack: string, options: EvaluateOptions): Promise<Recording> {
    const config = options.config ?? stackConfig(stack);
    const stackName = options.stackName ?? stack;
    const region = config["aws:region"] ?? "ap-northeast-2";
    const mockInputs = new Map<string, { inputs: Record<string, unknown>; custom: boolean }>();
    const mocks = awsMocks(region, {
        name: `${MOCK_ORGANIZATION}/scale-tiers/${stackName}`,
        outputs: options.previousOutputs ?? {},
    });
    // The mock monitor hands stack transforms over instead of running them, and does not say a
    // resource's parent: the engine's part, played here with the parents the program gave.
    const transforms: pulumi.ResourceTransform[] = [];
    const parents = new Map<string, pulumi.Resource | undefined>();
    await pulumi.runtime.setMocks(
        {
            async newResource(args) {
                const key = `${args.type}::${args.name}`;
                let inputs = args.inputs as Record<string, unknown>;
                const opts = { parent: parents.get(key) };
                for (const transform of transforms) {
                    const result = await transform({
                        type: args.type,
                        name: args.name,
                        custom: args.custom ?? false,
                        props: inputs,
                        opts,
                    });
                    inputs = result?.props ?? inputs;
                }
                mockInputs.set(key, { inputs, custom: args.custom ?? false });
                return mocks.newResource({ ...args, inputs });
            },
            registerTransform: (transform) => transforms.push(transform),
            call: (args) => mocks.call(args),
        },
        "scale-tiers",
        stackName,
        false,
        MOCK_ORGANIZATION,
    );
    pulumi.runtime.setAllConfig(config);
    forgetProgramModules();

    const captured: Captured[] = [];
    let outputs: Record<string, unknown> | undefined;
    // The SDK records a stack trace for every promise it makes, which only its promise-leak report at
    // exit reads, and that report never runs under mocks: a third of an evaluation's time for nothing.
    // An error the program throws keeps its message, the part the tests and the plan show.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = Number(process.env.SCALE_TIERS_STACK_TRACE_LIMIT ?? 0);
    const warnings = captureWarnings();
    try {
        try {
            outputs = await pulumi.runtime.runInPulumiStack(() => {
                pulumi.runtime.registerStackTransformation((args) => {
                    // The read of the stack's own last outputs creates nothing: not part of the estate.
                    parents.set(`${args.type}::${args.name}`, args.opts.parent);
                    if (args.type !== STACK_REFERENCE_TYPE) {
                        captured.push({ type: args.type, name: args.name, resource: args.resource, opts: args.opts });
                    }
                    return undefined;
                });
                // The Stack awaits this callback, so what the program throws while loading still rejects the run.
                // eslint-disable-next-line @typescript-eslint/no-require-imports
                return Promise.resolve(require(path.join(PROGRAM_ROOT, "index")) as Record<string, unknown>);
            });
        } catch (error) {
            // Constructors run the transformation synchronously, so this sees every resource the
            // program created before failing, registered with the engine yet or not.
            throw new EvaluationError(
                error as Error,
                captured.map((c) => `${c.type}::${c.name}`),
            );
        } finally {
            Error.stackTraceLimit = stackTraceLimit;
        }
        // Components register their outputs after the stack's own outputs resolve; let every RPC land
        // before the next evaluation resets the runtime.
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    } finally {
        // The SDK starts a gRPC server for the program's resource transform, and only a
        // disconnect stops it: one would stay listening per evaluation.
        pulumi.runtime.disconnectSync();
        warnings.stop();
    }
    const urns = await Promise.all(captured.map((c) => awaitOutput(c.resource.urn)));
    const urnOf = new Map(captured.map((c, index) => [c.resource, urns[index]]));
    const seen = new Set<string>();
    const resources = await Promise.all(
        captured.map(async (c, index): Promise<RecordedResource> => {
            const key = `${c.type}::${c.name}`;
            if (seen.has(key)) {
                throw new Error(`two resources share type and name ${key}; name children from their component`);
            }
            seen.add(key);
            const dependsOn = asResources(await Promise.resolve(c.opts.dependsOn as unknown));
            const recorded = mockInputs.get(key);
            return {
                urn: urns[index],
                type: c.type,
                name: c.name,
                parent: c.opts.parent
                    ? (urnOf.get(c.opts.parent) ?? (await awaitOutput(c.opts.parent.urn)))
                    : undefined,
                custom: recorded?.custom ?? false,
                inputs: unwrapSecrets(recorded?.inputs ?? {}) as Record<string, unknown>,
                protect: c.opts.protect === true,
                retainOnDelete: c.opts.retainOnDelete === true,
                deleteBeforeReplace: c.opts.deleteBeforeReplace === true,
                ignoreChanges: c.opts.ignoreChanges ?? [],
                aliases: (c.opts.aliases ?? []).map((alias) => (typeof alias === "string" ? alias : aliasName(alias))),
                dependsOn: await Promise.all(dependsOn.map((r) => awaitOutput(r.urn))),
            };
        }),
    );
    return {
        stack: stackName,
        config,
        resources: withComponents(resources),
        outputs: outputs ?? {},
        warnings: warnings.messages,
    };
}

/** How Pulumi's log writes a warning when no engine listens, as under mocks. */
const RUNTIME_WARNING = "warning: [runtime] ";

/**
 * Collects the program's warnings (`pulumi.log.warn`) from console.warn until
 * `stop`, instead of printing them; anything else on console.warn goes through.
 */
function captureWarnings(): { messages: string[]; stop(): void } {
    const messages: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => {
        const text = args.map(String).join(" ");
        if (text.startsWith(RUNTIME_WARNING)) {
            messages.push(text.slice(RUNTIME_WARNING.length));
        } else {
            original(...args);
        }
    };
    return {
        messages,
        stop: () => {
            console.warn = original;
        },
    };
}

/**
 * The name an alias (not given as a URN) gives. The program names its aliases
 * with plain strings; a name that is an Output or a promise has no text yet.
 */
function aliasName(alias: pulumi.Input<pulumi.URN | pulumi.Alias>): string {
    const name = (alias as pulumi.Alias).name;
    return typeof name === "string" ? name : "";
}

/** Signature key and value with which Pulumi marks a secret value on the wire. */
const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";

/** Replaces wire-format secrets by their values: tests check what the provider would receive. */
function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (value !== null && typeof value === "object") {
        const record = value as Record<string, unknown>;
        if (record[SECRET_SIG_KEY] === SECRET_SIG_VALUE) {
            return unwrapSecrets(record.value);
        }
        return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Tags each resource with its top-level component (the ancestor whose parent is the stack). */
function withComponents(resources: RecordedResource[]): RecordedResource[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const topLevel = (resource: RecordedResource): RecordedResource => {
        const parent = resource.parent ? byUrn.get(resource.parent) : undefined;
        return parent ? topLevel(parent) : resource;
    };
    return resources.map((r) => ({ ...r, component: topLevel(r).type }));
}
