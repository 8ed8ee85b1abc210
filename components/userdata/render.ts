/**
 * Renders the cloud-init scripts in this folder. A script is a real bash file
 * that expects some ALL_CAPS variables; rendering inserts `readonly NAME='value'`
 * lines right after the shebang, and inlines the shared helpers where a line
 * reads `# scale-tiers:include <file>` (a server runs one file; it cannot source
 * another). Values are restricted to a safe character set so that quoting can
 * never be broken, and nothing secret is ever a value: the scripts fetch
 * secrets from Secrets Manager at boot.
 *
 * A role's rendered script is a server's boot script, published in S3 under
 * its SHA-256 (`bootScriptKey`); the server's user data is the loader
 * (loader.sh, `loaderUserData`), which fetches it, checks the digest and runs it.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as zlib from "zlib";
import * as path from "path";

/** Every cloud-init script in this folder. */
export const USER_DATA_SCRIPTS = [
    "web",
    "mysql",
    "memcached",
    "rabbitmq",
    "jenkins",
    "jira",
    "wiki",
    "cms",
    "logstash",
] as const;
export type UserDataScript = (typeof USER_DATA_SCRIPTS)[number];

/** The user data of every server (loader.sh): fetches the server's boot script from S3, checks it, runs it. */
export const LOADER_SCRIPT = "loader" as const;

/** Characters a rendered value may contain: enough for ARNs, paths, DNS names and numbers. */
const SAFE_VALUE = /^[A-Za-z0-9 _./:@+=,%-]*$/;
const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;

const INCLUDE = /^# scale-tiers:include ([a-z0-9-]+\.sh)$/gm;

function readFragment(file: string): string {
    return fs.readFileSync(path.join(__dirname, file), "utf8");
}

/** A script's source with its includes inlined (without their shellcheck directive). */
export function readScript(script: UserDataScript | typeof LOADER_SCRIPT): string {
    return readFragment(`${script}.sh`).replace(INCLUDE, (_, file: string) =>
        readFragment(file)
            .replace(/^# shellcheck shell=bash\n/, "")
            .trimEnd(),
    );
}

/** Variable names a script guards with `: "${NAME:?...}"`, i.e. the ones it requires. */
export function requiredVariables(source: string): string[] {
    return [...source.matchAll(/^: "\$\{([A-Z][A-Z0-9_]*):\?/gm)].map((match) => match[1]);
}

/**
 * Returns the script with its variables bound. Throws when a required variable
 * is missing, an unknown one is given, or a value contains unsafe characters.
 */
export function renderScript(source: string, variables: { readonly [name: string]: string | number }): string {
    const required = requiredVariables(source);
    const given = Object.keys(variables);
    const missing = required.filter((name) => !given.includes(name));
    const unknown = given.filter((name) => !required.includes(name));
    if (missing.length > 0 || unknown.length > 0) {
        throw new Error(`user data variables: missing [${missing.join(", ")}], unknown [${unknown.join(", ")}]`);
    }
    const lines = given.map((name) => {
        const value = String(variables[name]);
        if (!VARIABLE_NAME.test(name) || !SAFE_VALUE.test(value)) {
            throw new Error(
                `user data variable ${name} has characters outside ${SAFE_VALUE}: ${JSON.stringify(value)}`,
            );
        }
        return `readonly ${name}='${value}'`;
    });
    const [shebang, ...rest] = source.split("\n");
    if (!shebang.startsWith("#!")) {
        throw new Error("user data script must start with a shebang line");
    }
    return [shebang, ...lines, ...rest].join("\n");
}

const HEREDOC_START = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/;

/**
 * Drops comment-only and blank lines outside here-documents. Comments are for
 * whoever reads the repository; on the instance they only count against the
 * user-data limit. Here-document bodies (config files, SQL) are kept verbatim,
 * and so is the shebang.
 */
export function stripComments(script: string): string {
    const [shebang, ...lines] = script.split("\n");
    const kept: string[] = [shebang];
    let heredocEnd: { marker: string; indented: boolean } | undefined;
    for (const line of lines) {
        if (heredocEnd) {
            kept.push(line);
            if ((heredocEnd.indented ? line.replace(/^\t+/, "") : line) === heredocEnd.marker) {
                heredocEnd = undefined;
            }
            continue;
        }
        if (/^\s*(#.*)?$/.test(line)) {
            continue;
        }
        kept.push(line);
        const start = HEREDOC_START.exec(line.replace(/<<</g, ""));
        if (start) {
            heredocEnd = { marker: start[3], indented: start[1] === "-" };
        }
    }
    return `${kept.join("\n")}\n`;
}

const FUNCTION_START = /^([A-Za-z_][A-Za-z0-9_]*)\(\) \{$/;
/** A top-level assignment of a plain value (no command substitution): dropping it has no side effect. */
const PLAIN_ASSIGNMENT = /^(?:readonly )?([A-Za-z_][A-Za-z0-9_]*)=([^`$]*|"[^`]*"|'[^']*')$/;

/** A top-level function, or a plain top-level variable, by name and its lines. */
interface Definition {
    readonly name: string;
    readonly start: number;
    readonly end: number;
}

/** The script's top-level functions and plain variables; a `}` inside a here-document does not end a function. */
function topLevelDefinitions(lines: readonly string[]): Definition[] {
    const definitions: Definition[] = [];
    let open: { name: string; start: number } | undefined;
    let heredocEnd: { marker: string; indented: boolean } | undefined;
    lines.forEach((line, index) => {
        if (heredocEnd) {
            if ((heredocEnd.indented ? line.replace(/^\t+/, "") : line) === heredocEnd.marker) {
                heredocEnd = undefined;
            }
            return;
        }
        const start = FUNCTION_START.exec(line);
        const assignment = open ? undefined : PLAIN_ASSIGNMENT.exec(line);
        if (!open && start) {
            open = { name: start[1], start: index };
        } else if (open && line === "}") {
            definitions.push({ ...open, end: index });
            open = undefined;
        } else if (assignment && !line.includes("$(")) {
            definitions.push({ name: assignment[1], start: index, end: index });
        }
        const heredoc = HEREDOC_START.exec(line.replace(/<<</g, ""));
        if (heredoc) {
            heredocEnd = { marker: heredoc[3], indented: heredoc[1] === "-" };
        }
    });
    if (open) {
        throw new Error(`function ${open.name}() has no closing brace at the start of a line`);
    }
    return definitions;
}

/**
 * The script without the functions (and plain top-level variables) nothing
 * in it names: every role includes all of common.sh and tools.sh, and an
 * instance needs only what its role calls (a third of the web script's size).
 * A definition stays when its name appears as a word in the script's other
 * lines or in a definition that stays, in a call, a string
 * (`write_tool_script ... "name helper"`), `declare -f` or `${name}` alike,
 * so nothing called or read by name is lost.
 */
export function withoutUnusedDefinitions(script: string): string {
    const lines = script.split("\n");
    const definitions = topLevelDefinitions(lines);
    const linesOf = (d: Definition) => lines.slice(d.start, d.end + 1);
    const defined = new Set(definitions.flatMap((d) => linesOf(d).map((_, i) => d.start + i)));
    const named = new Set<string>();
    const addWords = (text: readonly string[]) =>
        text.forEach((line) => line.match(/[A-Za-z_][A-Za-z0-9_]*/g)?.forEach((word) => named.add(word)));
    addWords(lines.filter((_, index) => !defined.has(index)));
    const used = new Set<Definition>();
    for (let found = true; found;) {
        found = false;
        for (const definition of definitions) {
            if (!used.has(definition) && named.has(definition.name)) {
                used.add(definition);
                addWords(linesOf(definition));
                found = true;
            }
        }
    }
    const unused = definitions.filter((definition) => !used.has(definition));
    return lines.filter((_, index) => !unused.some((d) => index >= d.start && index <= d.end)).join("\n");
}

/** A role's script as its instance receives it: variables bound, helpers inlined, no comments, no unused functions. */
export function instanceScript(
    script: UserDataScript | typeof LOADER_SCRIPT,
    variables: { readonly [name: string]: string | number },
): string {
    return withoutUnusedDefinitions(stripComments(renderScript(readScript(script), variables)));
}

/** EC2 refuses user data above 16 KiB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * Gzips and base64-encodes user data for `userDataBase64` (cloud-init
 * recognises and unpacks gzip). Node writes a zero mtime in the gzip header,
 * so the same text always encodes the same way and causes no spurious diff.
 */
export function encodeUserData(script: string): string {
    const packed = zlib.gzipSync(Buffer.from(script, "utf8"), { level: 9 });
    if (packed.length > USER_DATA_LIMIT_BYTES) {
        throw new Error(`user data is ${packed.length} bytes gzipped; EC2 accepts ${USER_DATA_LIMIT_BYTES}`);
    }
    return packed.toString("base64");
}

/** The text behind `userDataBase64`, for tests and for reading a plan. */
export function decodeUserData(base64: string): string {
    return zlib.gunzipSync(Buffer.from(base64, "base64")).toString("utf8");
}

/** The SHA-256 (hex) of a boot script as S3 stores it (UTF-8), which the loader checks. */
export function bootScriptDigest(script: string): string {
    return createHash("sha256").update(script, "utf8").digest("hex");
}

/** A role's boot scripts live under their instance role's prefix: what that role, and no other, may read. */
export function bootScriptPrefix(roleName: string): string {
    return `boot/${roleName}/`;
}

/**
 * Where a boot script is published: its instance role's prefix and its
 * digest. A changed script is a new object, so the one an existing server or
 * launch template version names never changes under it.
 */
export function bootScriptKey(roleName: string, script: string): string {
    return `${bootScriptPrefix(roleName)}${bootScriptDigest(script)}.sh`;
}

/** Where a server's boot script is, and the digest it must have. */
export interface BootScriptLocation {
    readonly bucket: string;
    readonly key: string;
    readonly sha256: string;
}

/** A server's user data: the loader, pinned to its boot script's object and digest, for `userDataBase64`. */
export function loaderUserData(location: BootScriptLocation): string {
    return encodeUserData(
        instanceScript(LOADER_SCRIPT, {
            BOOT_BUCKET: location.bucket,
            BOOT_KEY: location.key,
            BOOT_SHA256: location.sha256,
        }),
    );
}

/** The object and digest a server's user data (the loader, encoded) pins: what a plan or a test follows to the script. */
export function loaderLocation(userDataBase64: string): BootScriptLocation {
    const loader = decodeUserData(userDataBase64);
    const value = (name: string) => {
        const match = new RegExp(`^readonly ${name}='([^']*)'$`, "m").exec(loader);
        if (!match) {
            throw new Error(`user data is not the boot loader: no ${name}`);
        }
        return match[1];
    };
    return { bucket: value("BOOT_BUCKET"), key: value("BOOT_KEY"), sha256: value("BOOT_SHA256") };
}
