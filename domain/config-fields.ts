/**
 * The vocabulary the stack configuration's schema (domain/stack-config.ts) is
 * written in: zod types that also carry what a person needs when a value is
 * wrong (the fix) and what the reference says about the setting
 * (docs/configuration.md and Pulumi.yaml's declarations are generated from
 * them by `npm run docs`). `problemsOf` turns zod's issues into the key,
 * problem and fix of a ConfigProblem.
 */
import { z } from "zod";
import { ConfigProblem } from "./config-problem";

/** What the reference and the error messages say about a setting, beyond its zod type. */
export interface FieldDoc {
    /** What the setting does, and any rule its type does not show. */
    readonly doc: string;
    /** How to correct a wrong value, where the type alone does not say (checked strings, lists). */
    readonly fix?: string;
    /** The default in words, where another setting gives it. */
    readonly defaultText?: string;
    /** Declared in Pulumi.yaml, so that the CLI checks its type and every stack gets its default. */
    readonly declared?: true;
}

/** Every documented schema node: the fields and sections of the config. */
export const FIELD_DOCS = z.registry<FieldDoc>();

/** A setting's doc: its meaning alone, or with more (FieldDoc). */
export type Doc = string | FieldDoc;

/** `schema`, entered in FIELD_DOCS with `doc`. */
function documented<T extends z.ZodType>(schema: T, doc: Doc): T {
    FIELD_DOCS.add(schema, typeof doc === "string" ? { doc } : doc);
    return schema;
}

/** A wrong value or combination, in the words the error message uses. */
export interface Finding {
    readonly problem: string;
    readonly fix: string;
}

/** A field's rule: why the value is wrong, or undefined when it is right. */
export type Check<T> = (value: T) => string | undefined;

function report(ctx: z.RefinementCtx, findings: readonly Finding[]): void {
    for (const { problem, fix } of findings) {
        ctx.addIssue({ code: "custom", message: problem, params: { fix } });
    }
}

/** An integer from `min` to `max`. */
export function integer(doc: Doc, range: { min: number; max: number; default: number }) {
    return documented(z.int().min(range.min).max(range.max), doc).default(range.default);
}

/** An integer from a fixed set, e.g. the retention periods CloudWatch Logs accepts. */
export function integerOneOf<const T extends readonly [number, ...number[]]>(
    doc: Doc,
    allowed: T,
    fallback: T[number],
) {
    return documented(z.literal(allowed), doc).default(fallback);
}

/** One of a fixed set of strings. */
export function oneOf<const T extends readonly [string, ...string[]]>(doc: Doc, allowed: T) {
    return documented(z.enum(allowed), doc);
}

export function flag(doc: string, fallback: boolean) {
    return documented(z.boolean(), doc).default(fallback);
}

/** A string that `check` accepts; `doc.fix` says what a right one looks like. */
export function text(doc: FieldDoc & { fix: string }, check?: Check<string>) {
    const checked = z.string().superRefine((value, ctx) => {
        const problem = check?.(value);
        if (problem) {
            report(ctx, [{ problem, fix: doc.fix }]);
        }
    });
    return documented(checked, doc);
}

/**
 * A list of strings whose entries `check` accepts. Each entry
 * of some lists names its own resources (a security-group rule per block, a
 * subscription per address), so `repeats` refuses an entry listed twice,
 * compared as it normalises them.
 */
export function textList(
    doc: FieldDoc & { fix: string },
    options: { check?: Check<string>; repeats?: (entry: string) => string } = {},
) {
    const checked = z.array(z.string()).superRefine((entries, ctx) => {
        const findings: Finding[] = [];
        const seen = new Set<string>();
        for (const entry of entries) {
            const problem = options.check?.(entry);
            if (problem) {
                findings.push({ problem, fix: doc.fix });
            }
            if (options.repeats) {
                const normalised = options.repeats(entry);
                if (seen.has(normalised)) {
                    findings.push({ problem: `lists "${entry}" twice`, fix: "list each entry once" });
                }
                seen.add(normalised);
            }
        }
        report(ctx, findings);
    });
    return documented(checked, doc);
}

/**
 * A mapping of strings to strings whose entries `check` accepts (or says what
 * is wrong and how to fix it), at most
 * `maxEntries` of them; default empty. Every wrong entry is reported, a value
 * of the wrong type among them.
 */
export function textMap(
    doc: FieldDoc & { fix: string },
    options: { check: (key: string, value: string) => Finding | undefined; maxEntries: number; valueFix: string },
) {
    const checked = z.record(z.string(), z.unknown()).superRefine((entries, ctx) => {
        const count = Object.keys(entries).length;
        if (count > options.maxEntries) {
            report(ctx, [{ problem: `has ${count} entries, more than ${options.maxEntries}`, fix: doc.fix }]);
        }
        for (const [key, value] of Object.entries(entries)) {
            const finding =
                typeof value === "string"
                    ? options.check(key, value)
                    : { problem: `must be a string, got ${describe(value)}`, fix: options.valueFix };
            if (finding) {
                ctx.addIssue({ code: "custom", message: finding.problem, path: [key], params: { fix: finding.fix } });
            }
        }
    });
    return documented(checked, doc)
        .transform((entries) => entries as Record<string, string>)
        .default({});
}

/** A nested object of settings; a missing one reads as `{}` so that its defaults apply. */
export function section<const Shape extends z.ZodRawShape>(doc: string, shape: Shape) {
    // A missing section is `{}`, which its fields' defaults complete.
    return documented(z.strictObject(shape), doc).prefault({} as z.input<z.ZodObject<Shape, z.core.$strict>>);
}

/** A list of objects of settings, default empty. */
export function objectList<const Shape extends z.ZodRawShape>(doc: FieldDoc & { fix: string }, shape: Shape) {
    return documented(z.array(z.strictObject(shape)), doc).default([]);
}

/** The schema under its wrappers (default, optional, prefault, transform), and the docs found on the way. */
export function unwrap(schema: z.ZodType): { core: z.ZodType; doc?: FieldDoc; fallback?: unknown } {
    let doc: FieldDoc | undefined;
    let fallback: { value: unknown } | undefined;
    let current = schema;
    for (;;) {
        doc ??= FIELD_DOCS.get(current);
        const def = current.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; defaultValue?: unknown };
        // The outermost default is the one that applies.
        if (def.type === "default") {
            fallback ??= { value: def.defaultValue };
        }
        if (def.innerType && ["default", "prefault", "optional"].includes(def.type)) {
            current = def.innerType;
        } else if (def.type === "pipe" && def.in) {
            current = def.in;
        } else {
            return { core: current, doc, fallback: fallback?.value };
        }
    }
}

/** The fields of an object schema. */
export function shapeOf(schema: z.ZodType): Readonly<Record<string, z.ZodType>> {
    const { core } = unwrap(schema);
    return core instanceof z.ZodObject ? core.shape : {};
}

/** The element schema of a list schema, or undefined when `schema` is not a list. */
export function elementOf(schema: z.ZodType): z.ZodType | undefined {
    const { core } = unwrap(schema);
    return core instanceof z.ZodArray ? (core.element as z.ZodType) : undefined;
}

type Path = readonly PropertyKey[];

function schemaAt(root: z.ZodType, path: Path): z.ZodType | undefined {
    let current: z.ZodType | undefined = root;
    for (const step of path) {
        if (current === undefined) {
            return undefined;
        }
        current = typeof step === "number" ? elementOf(current) : shapeOf(current)[String(step)];
    }
    return current;
}

function valueAt(root: unknown, path: Path): unknown {
    let current = root;
    for (const step of path) {
        if (current === null || typeof current !== "object") {
            return undefined;
        }
        current = (current as Record<PropertyKey, unknown>)[step];
    }
    return current;
}

/** `database.snapshots.retainCount`, `sqs.queues[0].name`. */
export function keyOf(path: Path): string {
    return path
        .map((step, i) => (typeof step === "number" ? `[${step}]` : i === 0 ? String(step) : `.${String(step)}`))
        .join("");
}

/** A value as the error message shows it: its kind and its JSON. */
export function describe(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    return `${Array.isArray(value) ? "array" : value === null ? "null" : typeof value} ${JSON.stringify(value)}`;
}

/** Names of things that hold credentials; none of the program's settings does. */
export const SECRET_LIKE = /pass(word|wd)?|secret|token|credential|private.?key|api.?key/i;

function fieldFix(schema: z.ZodType | undefined): string {
    if (schema === undefined) {
        return "correct the value";
    }
    const { core, doc } = unwrap(schema);
    if (doc?.fix) {
        return doc.fix;
    }
    if (core instanceof z.ZodNumber) {
        return `set it to an integer from ${core.minValue} to ${core.maxValue}`;
    }
    if (core instanceof z.ZodBoolean) {
        return "set it to true or false";
    }
    if (core instanceof z.ZodObject) {
        return "give it as a YAML mapping";
    }
    return "correct the value";
}

/**
 * zod's issues for `input` as ConfigProblems keyed `prefix` + path. A wrong
 * entry of a list of strings is reported on the list, which is how a stack
 * file writes it.
 */
export function problemsOf(
    root: z.ZodType,
    input: unknown,
    issues: readonly z.core.$ZodIssue[],
    prefix: string,
): ConfigProblem[] {
    return issues.flatMap((issue): ConfigProblem[] => {
        let path: Path = issue.path;
        const parent = path.length > 0 ? schemaAt(root, path.slice(0, -1)) : undefined;
        const listOfStrings = (schema: z.ZodType | undefined) =>
            schema !== undefined &&
            elementOf(schema) !== undefined &&
            unwrap(elementOf(schema)!).core instanceof z.ZodString;
        if (typeof path[path.length - 1] === "number" && listOfStrings(parent) && issue.code === "invalid_type") {
            path = path.slice(0, -1);
        }
        const schema = schemaAt(root, path);
        const key = `${prefix}${keyOf(path)}`;
        const value = valueAt(input, path);
        switch (issue.code) {
            case "unrecognized_keys": {
                const known = Object.keys(shapeOf(schema ?? root)).sort();
                return issue.keys.map((field) => {
                    const fieldKey = `${key}${path.length > 0 ? "." : ""}${field}`;
                    return SECRET_LIKE.test(field)
                        ? {
                              key: fieldKey,
                              problem: "looks like a secret in plain text, and no setting takes one",
                              fix: "remove it: the program generates every password and keeps it in Secrets Manager",
                          }
                        : {
                              key: fieldKey,
                              problem: "is not a known setting",
                              fix: `remove it, or use one of: ${known.join(", ")}`,
                          };
                });
            }
            case "invalid_type": {
                const { core } = schema ? unwrap(schema) : { core: undefined };
                const fix = fieldFix(schema);
                if (listOfStrings(schema)) {
                    return [{ key, problem: `must be a list of strings, got ${describe(value)}`, fix }];
                }
                const expected: Record<string, string> = {
                    int: "an integer",
                    number: "an integer",
                    boolean: "true or false",
                    string: "a string",
                    object: "an object",
                    record: "a mapping",
                    array: "a list",
                };
                const what = core instanceof z.ZodObject ? "an object" : (expected[issue.expected] ?? issue.expected);
                return [{ key, problem: `must be ${what}, got ${describe(value)}`, fix }];
            }
            case "too_big":
            case "too_small":
                return [{ key, problem: `${String(value)} is out of range`, fix: fieldFix(schema) }];
            case "invalid_value":
                return [
                    {
                        key,
                        problem: `${describe(value)} is not allowed`,
                        fix: `use one of ${issue.values.map((allowed) => JSON.stringify(allowed)).join(", ")}`,
                    },
                ];
            case "custom": {
                const params = issue.params as { fix?: string } | undefined;
                return [{ key, problem: issue.message, fix: params?.fix ?? fieldFix(schema) }];
            }
            default:
                return [{ key, problem: issue.message, fix: fieldFix(schema) }];
        }
    });
}
