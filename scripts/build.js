/**
 * Keeps the compiled program in bin/ current with its TypeScript sources.
 *
 * Everything that runs the program runs bin/: `pulumi up` and `pulumi preview`
 * (through program.js, package.json's main), `npm test` and `npm run plan`.
 * Compiled JavaScript runs without ts-node and its source-map support, which
 * mapped the stack trace the Pulumi SDK takes for every promise and so doubled
 * the time of an evaluation. Each of them calls buildIfStale first: a no-op
 * when nothing changed (a few milliseconds of stat calls), otherwise `tsc`,
 * which also type-checks, so a type error stops a preview before it starts.
 *
 * Plain CommonJS on purpose: it runs before anything is compiled.
 *
 *   node scripts/build.js          # build if stale
 *   node scripts/build.js --force  # always build
 */
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "bin");
/** Written after a successful build: every input older than it is compiled. */
const STAMP = path.join(OUT, ".build-stamp");
/** Files the program reads at run time beside its modules, copied next to the compiled ones. */
const ASSET_DIRS = ["components/userdata"];
const ASSET_EXTENSION = ".sh";

/** The compiler's inputs: tsconfig.json's include globs are all `<dir>/**\/*.ts` or a root file. */
function sources() {
    const config = JSON.parse(fs.readFileSync(path.join(ROOT, "tsconfig.json"), "utf8"));
    const files = [];
    for (const pattern of config.include) {
        const dir = pattern.replace(/\/\*\*\/\*\.ts$/, "");
        if (dir === pattern) {
            files.push(pattern);
        } else {
            files.push(...walk(dir, ".ts"));
        }
    }
    return files;
}

/** Files under `dir` (relative to the root) that end in `extension`. */
function walk(dir, extension) {
    const absolute = path.join(ROOT, dir);
    if (!fs.existsSync(absolute)) {
        return [];
    }
    return fs
        .readdirSync(absolute, { recursive: true })
        .filter((file) => file.endsWith(extension))
        .map((file) => path.join(dir, file));
}

function assets() {
    return ASSET_DIRS.flatMap((dir) => walk(dir, ASSET_EXTENSION));
}

const compiledName = (source) => source.replace(/\.ts$/, ".js");
const mtime = (file) => fs.statSync(file).mtimeMs;

/** Why bin/ is out of date, or undefined when it is current. */
function staleness() {
    if (!fs.existsSync(STAMP)) {
        return "never built";
    }
    const built = mtime(STAMP);
    const inputs = sources();
    for (const input of ["tsconfig.json", "package-lock.json", ...inputs, ...assets()]) {
        if (mtime(path.join(ROOT, input)) > built) {
            return `${input} changed`;
        }
    }
    for (const source of inputs) {
        if (!fs.existsSync(path.join(OUT, compiledName(source)))) {
            return `${source} has no compiled module`;
        }
    }
    const [orphan] = orphans(inputs);
    return orphan === undefined ? undefined : `${orphan} has no source any more`;
}

/** Compiled modules whose source was deleted or moved: mocha would still run a deleted test. */
function orphans(inputs) {
    const expected = new Set(inputs.map(compiledName));
    return walk("bin", ".js")
        .map((file) => path.relative(OUT, path.join(ROOT, file)))
        .filter((file) => !expected.has(file));
}

function build() {
    const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    const result = spawnSync(process.execPath, [tsc, "--project", ROOT], { cwd: ROOT, stdio: "inherit" });
    if (result.status !== 0) {
        throw new Error(`tsc failed (exit ${result.status}): fix the type errors above, then run again`);
    }
    for (const orphan of orphans(sources())) {
        fs.rmSync(path.join(OUT, orphan));
        fs.rmSync(path.join(OUT, `${orphan}.map`), { force: true });
    }
    for (const asset of assets()) {
        fs.mkdirSync(path.dirname(path.join(OUT, asset)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, asset), path.join(OUT, asset));
    }
    fs.writeFileSync(STAMP, `${new Date().toISOString()}\n`);
}

/** Compiles the program unless bin/ is current. */
function buildIfStale({ force = false, log = (line) => process.stderr.write(`${line}\n`) } = {}) {
    const reason = force ? "forced" : staleness();
    if (reason === undefined) {
        return;
    }
    log(`building bin/ (${reason})...`);
    build();
}

module.exports = { buildIfStale };

if (require.main === module) {
    try {
        buildIfStale({ force: process.argv.includes("--force") });
    } catch (error) {
        process.stderr.write(`${error.message}\n`);
        process.exit(1);
    }
}
