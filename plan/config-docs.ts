/**
 * The config reference, generated from the schema (domain/stack-config.ts):
 * the tables of docs/configuration.md, between `<!-- config:<section> -->`
 * and `<!-- /config:<section> -->` markers (the prose around them is written
 * by hand), and the keys Pulumi.yaml declares. `npm run docs` writes both; a
 * test fails while either is stale.
 */
import * as prettier from "prettier";
import { parseDocument } from "yaml";
import { z } from "zod";
import { FieldDoc, elementOf, shapeOf, unwrap } from "../domain/config-fields";
import { SCALE_TIERS_SCHEMA } from "../domain/stack-config";

/** The estate-wide (top-level, not object) keys are documented together under this section name. */
export const ESTATE_SECTION = "estate";

interface Row {
    readonly key: string;
    readonly type: string;
    readonly fallback: string;
    readonly rule: string;
}

function code(value: unknown): string {
    return `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
}

function typeName(core: z.ZodType): string {
    if (core instanceof z.ZodNumber || core instanceof z.ZodLiteral) {
        return "integer";
    }
    if (core instanceof z.ZodBoolean) {
        return "boolean";
    }
    if (core instanceof z.ZodArray) {
        return unwrap(core.element as z.ZodType).core instanceof z.ZodObject ? "list of objects" : "list of strings";
    }
    if (core instanceof z.ZodRecord) {
        return "mapping of strings";
    }
    return "string";
}

function constraint(core: z.ZodType): string | undefined {
    if (core instanceof z.ZodNumber) {
        return `${core.minValue} to ${core.maxValue}`;
    }
    if (core instanceof z.ZodLiteral) {
        return `one of ${[...core.values].join(", ")}`;
    }
    if (core instanceof z.ZodEnum) {
        return `one of ${core.options.map(code).join(", ")}`;
    }
    return undefined;
}

function defaultText(schema: z.ZodType, doc: FieldDoc | undefined, fallback: unknown): string {
    if (doc?.defaultText) {
        return doc.defaultText;
    }
    if (Array.isArray(fallback)) {
        return fallback.length === 0 ? "none" : fallback.map(code).join(", ");
    }
    if (fallback !== null && typeof fallback === "object" && Object.keys(fallback).length === 0) {
        return "none";
    }
    if (fallback !== undefined) {
        return code(fallback);
    }
    return schema.safeParse(undefined).success ? "unset" : "required";
}

function rows(schema: z.ZodType, prefix: string): Row[] {
    return Object.entries(shapeOf(schema)).flatMap(([field, child]): Row[] => {
        const key = `${prefix}${field}`;
        const { core, doc, fallback } = unwrap(child);
        if (core instanceof z.ZodObject) {
            return rows(child, `${key}.`);
        }
        if (!doc) {
            throw new Error(`scale-tiers:${key} has no doc in the schema (domain/stack-config.ts)`);
        }
        const element = elementOf(child);
        const row: Row = {
            key,
            type: typeName(core),
            fallback: defaultText(child, doc, fallback),
            rule: [constraint(core), doc.doc].filter(Boolean).join(": "),
        };
        return element && unwrap(element).core instanceof z.ZodObject ? [row, ...rows(element, `${key}[].`)] : [row];
    });
}

function table(entries: readonly Row[]): string {
    const cell = (text: string) => text.replace(/\|/g, "\\|");
    return [
        "| key | type | default | rule |",
        "| --- | --- | --- | --- |",
        ...entries.map((r) => `| \`${r.key}\` | ${r.type} | ${cell(r.fallback)} | ${cell(r.rule)} |`),
    ].join("\n");
}

/** Each section's generated Markdown: its description and its table. */
export function referenceSections(): Map<string, string> {
    const sections = new Map<string, string>();
    const topLevel = Object.entries(shapeOf(SCALE_TIERS_SCHEMA));
    const estate = topLevel.filter(([, schema]) => !(unwrap(schema).core instanceof z.ZodObject));
    sections.set(ESTATE_SECTION, table(rows(z.object(Object.fromEntries(estate)), "")));
    for (const [name, schema] of topLevel) {
        const { core, doc } = unwrap(schema);
        if (core instanceof z.ZodObject) {
            sections.set(name, `${doc?.doc ?? ""}\n\n${table(rows(schema, `${name}.`))}`);
        }
    }
    return sections;
}

const MARKER = /<!-- config:([a-zA-Z]+) -->[\s\S]*?<!-- \/config:\1 -->/g;

/** docs/configuration.md with every marked section regenerated; throws if a section has no markers. */
export async function configurationDoc(current: string, file: string): Promise<string> {
    const sections = referenceSections();
    const seen = new Set<string>();
    const replaced = current.replace(MARKER, (_block, name: string) => {
        const generated = sections.get(name);
        if (generated === undefined) {
            throw new Error(`docs/configuration.md marks section "${name}", which the schema does not have`);
        }
        seen.add(name);
        return `<!-- config:${name} -->\n\n${generated}\n\n<!-- /config:${name} -->`;
    });
    const missing = [...sections.keys()].filter((name) => !seen.has(name));
    if (missing.length > 0) {
        throw new Error(
            `docs/configuration.md has no <!-- config:NAME --> <!-- /config:NAME --> markers for ${missing.join(", ")}`,
        );
    }
    return prettier.format(replaced, { ...(await prettier.resolveConfig(file)), filepath: file });
}

/** Pulumi.yaml with its `config` declarations made from the schema's declared keys; other keys and comments kept. */
export function projectFile(current: string): string {
    const document = parseDocument(current);
    for (const [key, schema] of Object.entries(shapeOf(SCALE_TIERS_SCHEMA))) {
        const { core, doc, fallback } = unwrap(schema);
        if (!doc?.declared) {
            document.deleteIn(["config", key]);
            continue;
        }
        const type = typeName(core) === "list of strings" ? "array" : typeName(core);
        document.setIn(["config", key], {
            type,
            ...(type === "array" ? { items: { type: "string" } } : {}),
            description: doc.doc.charAt(0).toUpperCase() + doc.doc.slice(1),
            default: fallback,
        });
    }
    return document.toString({ lineWidth: 0 });
}
