/**
 * A small reader for untyped config values that collects every problem instead
 * of stopping at the first one. Each reader returns the value (or a fallback so
 * that reading can go on) and records what is wrong, naming the key, the rule
 * and a fix.
 */

export interface ConfigProblem {
    /** Full key, e.g. `scale-tiers:web.instanceCount`. */
    readonly key: string;
    /** What is wrong with the value that was given. */
    readonly problem: string;
    /** What is allowed, phrased as the fix. */
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(
            `stack configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n` +
                problems.map((p) => `  - ${p.key}: ${p.problem}. Fix: ${p.fix}.`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Collects problems while one object tree is read. */
export class Problems {
    private readonly list: ConfigProblem[] = [];

    add(key: string, problem: string, fix: string): void {
        this.list.push({ key, problem, fix });
    }

    get all(): readonly ConfigProblem[] {
        return this.list;
    }
}

/** The candidate closest to `word` by edit distance, if it is close enough to be the one meant. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
    let best: { candidate: string; distance: number } | undefined;
    for (const candidate of candidates) {
        const distance = editDistance(word, candidate);
        if (!best || distance < best.distance) {
            best = { candidate, distance };
        }
    }
    return best && best.distance <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions of one character. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(
                previous[j] + 1,
                current[j - 1] + 1,
                previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
            );
        }
        previous = current;
    }
    return previous[b.length];
}

/** Setting names that hold credentials; none of the program's settings does. */
const SECRET_LIKE = /pass(word|wd)?|secret|token|credential|private.?key|api.?key/i;

function describe(value: unknown): string {
    if (value === undefined) {
        return "nothing";
    }
    return `${Array.isArray(value) ? "array" : value === null ? "null" : typeof value} ${JSON.stringify(value)}`;
}

/**
 * A view on one config object (or the top-level namespace) under a key prefix.
 * Reading a field marks it as known; `rejectUnknown` then reports the rest.
 */
export class ObjectReader {
    private readonly known = new Set<string>();

    constructor(
        private readonly problems: Problems,
        private readonly prefix: string,
        private readonly value: { readonly [key: string]: Json | undefined },
    ) {}

    private key(field: string): string {
        return `${this.prefix}${field}`;
    }

    private take(field: string): Json | undefined {
        this.known.add(field);
        return this.value[field];
    }

    integer(field: string, options: { default?: number; min: number; max: number }): number {
        const raw = this.take(field);
        const fallback = options.default ?? options.min;
        if (raw === undefined && options.default !== undefined) {
            return options.default;
        }
        const range = `an integer from ${options.min} to ${options.max}`;
        if (typeof raw !== "number" || !Number.isInteger(raw)) {
            this.problems.add(this.key(field), `must be an integer, got ${describe(raw)}`, `set it to ${range}`);
            return fallback;
        }
        if (raw < options.min || raw > options.max) {
            this.problems.add(this.key(field), `${raw} is out of range`, `set it to ${range}`);
            return fallback;
        }
        return raw;
    }

    /** An integer that must be one of a fixed set, e.g. CloudWatch retention periods. */
    /** An integer from `allowed`; a missing one takes `default` when given, else is a problem. */
    integerOneOf(field: string, allowed: readonly number[], options: { default?: number }): number {
        const raw = this.take(field);
        if (raw === undefined && options.default !== undefined) {
            return options.default;
        }
        if (typeof raw !== "number" || !allowed.includes(raw)) {
            this.problems.add(this.key(field), `${describe(raw)} is not allowed`, `use one of ${allowed.join(", ")}`);
            return options.default ?? allowed[0];
        }
        return raw;
    }

    boolean(field: string, fallback: boolean): boolean {
        const raw = this.take(field);
        if (raw === undefined) {
            return fallback;
        }
        if (typeof raw !== "boolean") {
            this.problems.add(
                this.key(field),
                `must be true or false, got ${describe(raw)}`,
                "set it to true or false",
            );
            return fallback;
        }
        return raw;
    }

    /**
     * A string checked by `check`, which returns why it is wrong or undefined.
     * A missing value takes `options.default` when given, else is a problem.
     */
    string(
        field: string,
        options: { default?: string; check?: (value: string) => string | undefined; fix: string },
    ): string {
        const raw = this.take(field);
        if (raw === undefined && options.default !== undefined) {
            return options.default;
        }
        if (typeof raw !== "string") {
            this.problems.add(this.key(field), `must be a string, got ${describe(raw)}`, options.fix);
            return options.default ?? "";
        }
        const problem = options.check?.(raw);
        if (problem) {
            this.problems.add(this.key(field), problem, options.fix);
            return options.default ?? raw;
        }
        return raw;
    }

    oneOf<T extends string>(field: string, allowed: readonly T[], fallback?: T): T {
        const raw = this.take(field);
        if (raw === undefined && fallback !== undefined) {
            return fallback;
        }
        if (typeof raw !== "string" || !(allowed as readonly string[]).includes(raw)) {
            this.problems.add(
                this.key(field),
                `${describe(raw)} is not allowed`,
                `use one of ${allowed.map((a) => `"${a}"`).join(", ")}`,
            );
            return fallback ?? allowed[0];
        }
        return raw as T;
    }

    /** A list of strings; a missing one takes `fallback` when given, else is a problem. */
    stringArray(field: string, fix: string, fallback?: string[]): string[] {
        const raw = this.take(field);
        if (raw === undefined && fallback !== undefined) {
            return fallback;
        }
        if (!Array.isArray(raw) || raw.some((item) => typeof item !== "string")) {
            this.problems.add(this.key(field), `must be a list of strings, got ${describe(raw)}`, fix);
            return [];
        }
        return raw as string[];
    }

    /** A nested object; a missing one reads as `{}` so that its defaults apply. */
    object(field: string): ObjectReader {
        const raw = this.take(field);
        const nested = `${this.key(field)}.`;
        if (raw === undefined) {
            return new ObjectReader(this.problems, nested, {});
        }
        if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
            this.problems.add(this.key(field), `must be an object, got ${describe(raw)}`, "give it as a YAML mapping");
            return new ObjectReader(this.problems, nested, {});
        }
        return new ObjectReader(this.problems, nested, raw);
    }

    /** A list of objects, each read by its own reader keyed `field[i].`; a missing one takes `[]`. */
    objectArray(field: string, fix: string): ObjectReader[] {
        const raw = this.take(field);
        if (raw === undefined) {
            return [];
        }
        if (!Array.isArray(raw)) {
            this.problems.add(this.key(field), `must be a list, got ${describe(raw)}`, fix);
            return [];
        }
        return raw.map((item, index) => {
            const itemKey = `${this.key(field)}[${index}]`;
            if (item === null || typeof item !== "object" || Array.isArray(item)) {
                this.problems.add(itemKey, `must be an object, got ${describe(item)}`, fix);
                return new ObjectReader(this.problems, `${itemKey}.`, {});
            }
            return new ObjectReader(this.problems, `${itemKey}.`, item);
        });
    }

    /** Whether the stack file gives `field` itself (rather than leaving it to the default). */
    has(field: string): boolean {
        return this.value[field] !== undefined;
    }

    /**
     * Reports every field that no reader asked for: typos must not be silently
     * ignored, and a secret must not sit in a stack file in plain text.
     */
    rejectUnknown(): void {
        const knownList = [...this.known].sort();
        for (const field of Object.keys(this.value)) {
            if (this.known.has(field)) {
                continue;
            }
            if (SECRET_LIKE.test(field)) {
                this.problems.add(
                    this.key(field),
                    "looks like a secret in plain text, and no setting takes one",
                    "remove it: the program generates every password and keeps it in Secrets Manager",
                );
            } else {
                this.problems.add(
                    this.key(field),
                    "is not a known setting",
                    `remove it, or use one of: ${knownList.join(", ")}`,
                );
            }
        }
    }

    /** Records a problem that involves more than one field (a contradiction). */
    problem(field: string, problem: string, fix: string): void {
        this.problems.add(this.key(field), problem, fix);
    }
}
