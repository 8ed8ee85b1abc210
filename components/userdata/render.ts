/**
 * Renders the cloud-init scripts in this folder. A script is a real bash file
 * that expects some ALL_CAPS variables; rendering inserts `readonly NAME='value'`
 * lines right after the shebang. Values are restricted to a safe character set
 * so that quoting can never be broken, and nothing secret is ever a value: the
 * scripts fetch secrets from Secrets Manager at boot.
 */
import * as fs from "fs";
import * as path from "path";

export type UserDataScript = "web" | "mysql";

/** Characters a rendered value may contain: enough for ARNs, paths, DNS names and numbers. */
const SAFE_VALUE = /^[A-Za-z0-9 _./:@+=,-]*$/;
const VARIABLE_NAME = /^[A-Z][A-Z0-9_]*$/;

export function readScript(script: UserDataScript): string {
    return fs.readFileSync(path.join(__dirname, `${script}.sh`), "utf8");
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

export function renderUserData(
    script: UserDataScript,
    variables: { readonly [name: string]: string | number },
): string {
    return renderScript(readScript(script), variables);
}
