/**
 * What the program knows it has deployed: the deployedState it records, the
 * rules a new config is checked against (pure), a corpus of data-losing or
 * failing changes the program refuses before it registers anything (each one
 * run through the program, its last state read back through the mocks'
 * StackReference), and the legitimate walks it lets through.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { DEPLOYED_STATE_VERSION, DeployedState, deployedState, rabbitmqMinimumNodes } from "../domain/deployed-state";
import { regionZones } from "../domain/availability-zones";
import { EvaluationError, stackConfigFromText } from "../plan/evaluate";
import { ROAD, roadPosition, shippedConfig, writeStep } from "../plan/road";
import { parseStackConfig } from "../stacks/config";
import { PreviousDeployment, deploymentProblems } from "../stacks/deployed-state";
import {
    ConfigMap,
    PROMOTED_TO_1M,
    configPatched,
    configWith,
    evaluate,
    named,
    ofType,
    refusal,
    stackConfig,
    stateOf,
    withPatch,
    PROJECT_ROOT,
} from "./harness";

const parse = (values: ConfigMap, stack = "tier150k") => parseStackConfig({ project: "scale-tiers", stack, values });
const recorded = (state: DeployedState): PreviousDeployment => ({ kind: "recorded", state });
/** The problems (as the program words them) of deploying `next` over the state `previous` recorded. */
const problemsOver = (previous: ConfigMap, next: ConfigMap, stack = "tier150k") =>
    deploymentProblems(recorded(stateOf(previous, stack)), parse(next, stack));

const tier150k = () => stackConfig("tier150k");
/** tier150k over other AZs; OpenSearch's six nodes divide over two, three or four (logging is off in tier150k). */
const tier150kIn = (...zones: string[]) =>
    withPatch(
        configWith("tier150k", {
            "scale-tiers:availabilityZones": JSON.stringify(zones.map((z) => `ap-northeast-2${z}`)),
        }),
        "scale-tiers:logging",
        { opensearch: { instanceCount: 6 } },
    );
const patched = (key: string, patch: Record<string, unknown>) => configPatched("tier150k", `scale-tiers:${key}`, patch);

describe("deployedState, the record each update exports", () => {
    it("records the phase, the VPC layout, each data volume's size, AZ and architecture, the holders and the shape", () => {
        const state = deployedState(parse(tier150k()));
        expect(state.version).to.equal(DEPLOYED_STATE_VERSION);
        expect(state).to.deep.include({ region: "ap-northeast-2", migrationPhase: "none", rabbitmqNodes: 3 });
        expect(state.network.vpcCidr).to.equal("10.40.0.0/16");
        expect(state.network.subnets[0]).to.deep.equal({
            availabilityZone: "ap-northeast-2a",
            private: "10.40.0.0/19",
            public: "10.40.32.0/22",
            isolated: "10.40.36.0/22",
        });
        expect(state.volumes).to.deep.include({
            label: "db-replica",
            holder: "mysql-replica",
            sizeGiB: 500,
            availabilityZone: "ap-northeast-2b",
            architecture: "x86_64",
        });
        expect(state.volumes.map((v) => `${v.label}@${v.availabilityZone.slice(-1)}`)).to.deep.equal([
            "db-primary@a",
            "db-replica@b",
            "mq-0@a",
            "mq-1@b",
            "mq-2@c",
            "jenkins@a",
            "jira@a",
            "wiki@b",
            "cms@c",
        ]);
        expect(state.holders).to.deep.equal({
            mysql: "running",
            "mysql-replica": "running",
            rabbitmq: "running",
            jenkins: "running",
            jira: "running",
            wiki: "running",
            cms: "running",
            rds: "absent",
        });
        expect(state.shape).to.deep.equal({ clients: 150_000, web: "fixed", database: "selfManaged" });
    });

    it("records retired servers' volumes without an architecture, and an estate built on RDS with none", () => {
        const promoted = stateOf(
            configPatched(PROMOTED_TO_1M, "scale-tiers:rabbitmq", { retired: true, enabled: false, draining: false }),
        );
        expect(promoted.holders).to.deep.include({ mysql: "retired", "mysql-replica": "retired", rabbitmq: "retired" });
        const primary = promoted.volumes.find((v) => v.label === "db-primary")!;
        expect(primary).not.to.have.property("architecture");
        const tier1m = deployedState(parse(stackConfig("tier1m"), "tier1m"));
        expect(tier1m.volumes.filter((v) => v.holder === "mysql")).to.deep.equal([]);
        expect(tier1m.shape.database).to.equal("rds");
    });

    it("is plain JSON, as a stack output must be, and survives the round trip", () => {
        const state = deployedState(parse(tier150k()));
        expect(JSON.parse(JSON.stringify(state))).to.deep.equal(state);
    });
});

describe("the rules a config is checked against, over what is deployed (pure)", () => {
    it("lets the same config through again, and growth", () => {
        expect(problemsOver(tier150k(), tier150k())).to.deep.equal([]);
        const grown = withPatch(patched("database", { dataVolume: { sizeGiB: 800 } }), "scale-tiers:rabbitmq", {
            nodeCount: 5,
            dataVolumeGiB: 200,
        });
        expect(problemsOver(tier150k(), grown)).to.deep.equal([]);
    });

    it("needs a majority of the deployed RabbitMQ nodes, and three at least, for the quorum queues", () => {
        expect([1, 3, 4, 5, 7].map(rabbitmqMinimumNodes)).to.deep.equal([1, 3, 3, 3, 4]);
        // 5 -> 3 keeps a majority, but the two nodes' volumes would go: refused for that alone.
        const five = patched("rabbitmq", { nodeCount: 5 });
        const problems = problemsOver(five, patched("rabbitmq", { nodeCount: 3 }));
        expect(problems.map((p) => p.problem.split(",")[0])).to.deep.equal([
            "deployed mq-3's volume (100 GiB)",
            "deployed mq-4's volume (100 GiB)",
        ]);
        expect(problems.every((p) => p.key === "scale-tiers:rabbitmq.nodeCount")).to.equal(true);
    });

    it("lets an AZ be appended when no subnet or server moves, and says which when one does", () => {
        expect(problemsOver(tier150kIn("a", "b", "c"), tier150kIn("a", "b", "c", "d"))).to.deep.equal([]);
        // With two AZs the third RabbitMQ node and the CMS share the first; a third AZ would move both, volumes and all.
        const problems = problemsOver(tier150kIn("a", "b"), tier150kIn("a", "b", "c"));
        expect(problems.map((p) => p.problem)).to.deep.equal([
            "deployed mq-2 in ap-northeast-2a, asked mq-2 in ap-northeast-2c: an EBS volume lives in one AZ: moving it replaces it with an empty one (its protection stops the update halfway)",
            "deployed cms in ap-northeast-2a, asked cms in ap-northeast-2c: an EBS volume lives in one AZ: moving it replaces it with an empty one (its protection stops the update halfway)",
        ]);
        expect(problems.map((p) => p.key)).to.deep.equal([
            "scale-tiers:availabilityZones",
            "scale-tiers:availabilityZones",
        ]);
    });

    it("lists every problem at once, in the rules' order", () => {
        const many = configWith("tier150k", {
            "scale-tiers:vpcCidr": "10.50.0.0/16",
            "scale-tiers:rabbitmq": JSON.stringify({ enabled: true, nodeCount: 1, dataVolumeGiB: 50 }),
            "scale-tiers:jenkins": JSON.stringify({ enabled: false }),
        });
        expect(problemsOver(tier150k(), many).map((p) => p.key)).to.deep.equal([
            "scale-tiers:vpcCidr",
            "scale-tiers:rabbitmq.dataVolumeGiB",
            "scale-tiers:rabbitmq.nodeCount",
            "scale-tiers:rabbitmq.nodeCount",
            "scale-tiers:jenkins",
            "scale-tiers:rabbitmq.nodeCount",
        ]);
    });

    it("checks a first deployment's phase from none, and an estate that never recorded its state from migration.from", () => {
        const atCutover = configPatched(PROMOTED_TO_1M, "scale-tiers:migration", { phase: "cutover" });
        expect(deploymentProblems({ kind: "none" }, parse(atCutover, "tier1m")).map((p) => p.key)).to.deep.equal([
            "scale-tiers:migration.phase",
        ]);
        const declared = withPatch(atCutover, "scale-tiers:migration", { from: "replicating" });
        expect(deploymentProblems({ kind: "unrecorded" }, parse(declared, "tier1m"))).to.deep.equal([]);
        expect(deploymentProblems({ kind: "unrecorded" }, parse(atCutover, "tier1m"))).to.have.length(1);
    });

    it("refuses to check against a state it cannot read, or one a newer program wrote", () => {
        const problems = deploymentProblems({ kind: "unreadable", problem: "has version 2" }, parse(tier150k()));
        expect(problems.map((p) => p.key)).to.deep.equal(["scale-tiers:deployedState"]);
    });

    it("knows the AZ letters of the regions it names, and nothing of the others", () => {
        expect(regionZones("ap-northeast-2")).to.deep.equal([
            "ap-northeast-2a",
            "ap-northeast-2b",
            "ap-northeast-2c",
            "ap-northeast-2d",
        ]);
        expect(regionZones("ca-central-1")).to.deep.equal(["ca-central-1a", "ca-central-1b", "ca-central-1d"]);
        expect(regionZones("xx-nowhere-9")).to.equal(undefined);
        const e = configWith("tier30k", {
            "scale-tiers:availabilityZones": JSON.stringify(["ap-northeast-2a", "ap-northeast-2e"]),
        });
        expect(refusal(e)).to.contain('"ap-northeast-2e": ap-northeast-2 has no such AZ');
        const unknownRegion = configWith("tier30k", {
            "aws:region": "xx-nowhere-9",
            "scale-tiers:availabilityZones": JSON.stringify(["xx-nowhere-9a", "xx-nowhere-9q", "xx-nowhere-9z"]),
        });
        expect(() => parse(unknownRegion, "tier30k")).not.to.throw();
    });
});

/** The program's refusal of `next` over the state `previous` recorded; fails when it registers anything. */
async function refusedOver(previous: DeployedState, next: ConfigMap, stack = "tier150k"): Promise<string> {
    try {
        await evaluate(stack, { config: next, previous });
    } catch (error) {
        expect(error).to.be.instanceOf(EvaluationError);
        expect((error as EvaluationError).registered, "registered before refusing").to.deep.equal([]);
        return (error as EvaluationError).message;
    }
    throw new Error("the program accepted it");
}

describe("deployed-state mistakes, each refused by the program with nothing registered (mocks)", () => {
    const promoted = (phase: string) => configPatched(PROMOTED_TO_1M, "scale-tiers:migration", { phase });
    const tier150kWithRds = () => patched("database", { rds: { enabled: true } });
    const retiredTools = withPatch(
        withPatch(tier150k(), "scale-tiers:collaboration", {
            wiki: { enabled: false, retired: true },
        }),
        "scale-tiers:jenkins",
        { enabled: false, retired: true },
    );
    // [what, stack the state is read for, previous config, next config, expected key and wording]
    const corpus: [string, string, () => ConfigMap, () => ConfigMap, RegExp][] = [
        [
            "the issue's case: tier150k given RDS and decommissioned with a hand-edited from",
            "tier150k",
            tier150k,
            () => withPatch(tier150kWithRds(), "scale-tiers:migration", { phase: "decommissioned", from: "cutover" }),
            /migration\.from: deployed none, asked cutover[\s\S]*migration\.phase: deployed none, asked decommissioned/,
        ],
        [
            "cutover straight from none",
            "tier1m",
            () => promoted("none"),
            () => promoted("cutover"),
            /migration\.phase: deployed none, asked cutover/,
        ],
        [
            "decommissioned before the cutover",
            "tier1m",
            () => promoted("replicating"),
            () => promoted("decommissioned"),
            /"decommissioned" cannot follow "replicating"/,
        ],
        [
            "cutover again after a rollback, without reloading",
            "tier1m",
            () => promoted("rollback"),
            () => promoted("cutover"),
            /"cutover" cannot follow "rollback"/,
        ],
        [
            "back to replicating after decommissioning",
            "tier1m",
            () => promoted("decommissioned"),
            () => promoted("replicating"),
            /"replicating" cannot follow "decommissioned"/,
        ],
        [
            "a stale migration.from",
            "tier1m",
            () => promoted("cutover"),
            () => withPatch(promoted("decommissioned"), "scale-tiers:migration", { from: "replicating" }),
            /migration\.from: deployed cutover, asked replicating/,
        ],
        [
            "the MySQL data volume shrunk",
            "tier150k",
            tier150k,
            () => patched("database", { dataVolume: { sizeGiB: 400 } }),
            /database\.dataVolume\.sizeGiB: deployed db-primary: 500 GiB, asked 400 GiB: an EBS volume cannot shrink/,
        ],
        [
            "the RabbitMQ data volumes shrunk",
            "tier150k",
            tier150k,
            () => patched("rabbitmq", { dataVolumeGiB: 80, instanceType: "m7i.large" }),
            /rabbitmq\.dataVolumeGiB: deployed mq-0: 100 GiB, asked 80 GiB/,
        ],
        [
            "Jenkins's volume shrunk",
            "tier150k",
            tier150k,
            () => patched("jenkins", { dataVolumeGiB: 50 }),
            /jenkins\.dataVolumeGiB: deployed jenkins: 100 GiB, asked 50 GiB/,
        ],
        [
            "Jira's volume shrunk",
            "tier150k",
            tier150k,
            () => patched("collaboration", { jira: { dataVolumeGiB: 60 } }),
            /collaboration\.jira\.dataVolumeGiB: deployed jira: 100 GiB/,
        ],
        [
            "a new VPC CIDR",
            "tier150k",
            tier150k,
            () => configWith("tier150k", { "scale-tiers:vpcCidr": "10.41.0.0/16" }),
            /vpcCidr: deployed 10\.40\.0\.0\/16, asked 10\.41\.0\.0\/16: a VPC's primary CIDR cannot change/,
        ],
        [
            "the AZs reordered",
            "tier150k",
            tier150k,
            () =>
                configWith("tier150k", {
                    "scale-tiers:availabilityZones": JSON.stringify([
                        "ap-northeast-2b",
                        "ap-northeast-2a",
                        "ap-northeast-2c",
                    ]),
                }),
            /availabilityZones: deployed \[ap-northeast-2a, ap-northeast-2b, ap-northeast-2c\], asked \[ap-northeast-2b, ap-northeast-2a, ap-northeast-2c\]: the subnets of ap-northeast-2a, ap-northeast-2b/,
        ],
        [
            "an AZ replaced by another",
            "tier150k",
            tier150k,
            () =>
                configWith("tier150k", {
                    "scale-tiers:availabilityZones": JSON.stringify([
                        "ap-northeast-2a",
                        "ap-northeast-2b",
                        "ap-northeast-2d",
                    ]),
                }),
            /the subnets of ap-northeast-2c would be replaced[\s\S]*cms in ap-northeast-2c, asked cms in ap-northeast-2d/,
        ],
        [
            "an AZ removed",
            "tier150k",
            tier150k,
            () => tier150kIn("a", "b"),
            /the subnets of ap-northeast-2c[\s\S]*mq-2 in ap-northeast-2c, asked mq-2 in ap-northeast-2a/,
        ],
        [
            "the MySQL servers moved from x86 to Graviton",
            "tier150k",
            tier150k,
            () => patched("database", { instanceType: "r7g.xlarge", replica: { instanceType: "r7g.xlarge" } }),
            /database\.instanceType: deployed db-primary on x86_64, asked arm64[\s\S]*database\.replica\.instanceType: deployed db-replica on x86_64/,
        ],
        [
            "the RabbitMQ nodes moved to Graviton",
            "tier150k",
            tier150k,
            () => patched("rabbitmq", { instanceType: "m7g.large" }),
            /rabbitmq\.instanceType: deployed mq-0 on x86_64, asked arm64/,
        ],
        [
            "the MySQL replica switched off instead of retired",
            "tier150k",
            tier150k,
            () => patched("database", { replica: { enabled: false } }),
            /database\.replica: deployed running, asked removed[\s\S]*Fix: set database\.replica\.enabled: false with database\.replica\.retired: true/,
        ],
        [
            "Jenkins switched off instead of retired",
            "tier150k",
            tier150k,
            () => patched("jenkins", { enabled: false }),
            /jenkins: deployed running, asked removed/,
        ],
        [
            "the wiki switched off instead of retired",
            "tier150k",
            tier150k,
            () => patched("collaboration", { wiki: { enabled: false } }),
            /collaboration\.wiki: deployed running, asked removed/,
        ],
        [
            "RabbitMQ switched off instead of drained and retired",
            "tier150k",
            tier150k,
            () => patched("rabbitmq", { enabled: false }),
            /rabbitmq: deployed running, asked removed/,
        ],
        [
            "the self-managed MySQL declared never to have existed",
            "tier150k",
            tier150k,
            () =>
                withPatch(tier150kWithRds(), "scale-tiers:database", {
                    selfManaged: false,
                    replica: { enabled: false },
                }),
            /database\.selfManaged: deployed running, asked removed[\s\S]*database\.replica: deployed running, asked removed/,
        ],
        [
            "RabbitMQ down to one node under quorum queues",
            "tier150k",
            tier150k,
            () => patched("rabbitmq", { nodeCount: 1 }),
            /rabbitmq\.nodeCount: deployed 3 nodes, asked 1: quorum queues[\s\S]*keep 3 nodes or more/,
        ],
        [
            "a retired tool brought back by config",
            "tier150k",
            () => retiredTools,
            tier150k,
            /jenkins: deployed retired \(volume and final snapshot kept\), asked running again[\s\S]*collaboration\.wiki: deployed retired/,
        ],
        [
            "a retired server's kept volume dropped",
            "tier150k",
            () => retiredTools,
            () => withPatch(retiredTools, "scale-tiers:jenkins", { retired: false }),
            /jenkins: deployed retired \(volume and final snapshot kept\), asked removed/,
        ],
        [
            "RDS switched off once it serves",
            "tier1m",
            () => promoted("cutover"),
            () => withPatch(promoted("none"), "scale-tiers:database", { rds: { enabled: false } }),
            /database\.rds\.enabled: deployed running, asked removed[\s\S]*"none" cannot follow "cutover"/,
        ],
        [
            "a retired RabbitMQ's kept volumes dropped by a smaller node count",
            "tier150k",
            () => patched("rabbitmq", { enabled: false, retired: true }),
            () => patched("rabbitmq", { enabled: false, retired: true, nodeCount: 1 }),
            /rabbitmq\.nodeCount: deployed mq-1's volume \(100 GiB\), asked without it/,
        ],
        [
            "a server retired that never ran",
            "tier150k",
            () => patched("collaboration", { cms: { enabled: false } }),
            () => patched("collaboration", { cms: { enabled: false, retired: true } }),
            /collaboration\.cms: deployed never deployed, asked retired/,
        ],
        [
            "another region",
            "tier30k",
            () => stackConfig("tier30k"),
            () =>
                configWith("tier30k", {
                    "aws:region": "eu-west-1",
                    "scale-tiers:availabilityZones": JSON.stringify(["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
                }),
            /aws:region: deployed ap-northeast-2, asked eu-west-1/,
        ],
    ];

    it("has at least twenty mistakes, each its own", () => {
        expect(corpus.length).to.be.at.least(20);
        expect(new Set(corpus.map(([what]) => what)).size).to.equal(corpus.length);
    });

    for (const [what, stack, previous, next, message] of corpus) {
        it(`refuses ${what}`, async () => {
            // The next config on its own is valid: only what is deployed makes it a mistake.
            expect(() => parse(next(), stack)).not.to.throw();
            expect(await refusedOver(stateOf(previous(), stack), next(), stack)).to.match(message);
        });
    }

    it("refuses a state written by a newer program, and config mistakes before reading any state", async () => {
        const newer = { ...stateOf(tier150k()), version: DEPLOYED_STATE_VERSION + 1 } as unknown as DeployedState;
        expect(await refusedOver(newer, tier150k())).to.match(/deployedState: .*has version 2/);
        const badType = patched("web", { instanceType: "c7i.9xlarge" });
        expect(await refusedOver(stateOf(tier150k()), badType)).to.match(
            /web\.instanceType: .*"c7i\.9xlarge" has unknown size "9xlarge"/,
        );
    });
});

describe("legitimate walks, the state read back at each step", () => {
    const text = () => fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.tier30k.yaml"), "utf8");
    let texts: string[] = [];
    let steps: { step: string; values: ConfigMap }[] = [];

    before(() => {
        // Walk the road once, keeping each step's text for the next one.
        texts = [text()];
        steps = [{ step: "tier30k", values: stackConfigFromText(texts[0]) }];
        for (;;) {
            const position = roadPosition(parse(steps[steps.length - 1].values, "tier30k"));
            if (!("next" in position)) {
                break;
            }
            texts.push(writeStep(texts[texts.length - 1], position.next.values(shippedConfig)));
            steps.push({ step: position.next.name, values: stackConfigFromText(texts[texts.length - 1]) });
        }
    });

    it("30k -> 150k -> 1M: every step of the road passes over the state the step before recorded", () => {
        expect(steps.map((s) => s.step)).to.deep.equal(["tier30k", ...ROAD.map((s) => s.name)]);
        for (let i = 1; i < steps.length; i++) {
            const problems = problemsOver(steps[i - 1].values, steps[i].values, "tier30k");
            expect(problems, `${steps[i - 1].step} -> ${steps[i].step}`).to.deep.equal([]);
        }
    });

    it("a rollback and a second attempt: cutover -> rollback -> replicating -> cutover -> decommissioned", () => {
        const at = (phase: string) => configPatched(PROMOTED_TO_1M, "scale-tiers:migration", { phase });
        const walk = ["none", "replicating", "cutover", "rollback", "replicating", "cutover", "decommissioned"];
        for (let i = 1; i < walk.length; i++) {
            expect(problemsOver(at(walk[i - 1]), at(walk[i]), "tier1m"), `${walk[i - 1]} -> ${walk[i]}`).to.deep.equal(
                [],
            );
        }
        // Abandoned before the cutover: RDS never served, so it may go too.
        const abandoned = configPatched(PROMOTED_TO_1M, "scale-tiers:database", { rds: { enabled: false } });
        expect(
            problemsOver(at("replicating"), withPatch(abandoned, "scale-tiers:migration", { phase: "none" }), "tier1m"),
        ).to.deep.equal([]);
    });

    it("every retire step: the replica, Jenkins, each tool, RabbitMQ", () => {
        const retire: [string, Record<string, unknown>][] = [
            ["database", { replica: { enabled: false, retired: true } }],
            ["jenkins", { enabled: false, retired: true }],
            ["collaboration", { jira: { enabled: false, retired: true } }],
            ["collaboration", { wiki: { enabled: false, retired: true } }],
            ["collaboration", { cms: { enabled: false, retired: true } }],
            ["rabbitmq", { enabled: false, retired: true }],
        ];
        for (const [key, patch] of retire) {
            expect(problemsOver(tier150k(), patched(key, patch)), JSON.stringify(patch)).to.deep.equal([]);
        }
    });

    it("retires the replica, Jenkins and the tools in the program: volumes kept under their URNs, final snapshots (mocks)", async () => {
        const all = [
            ["database", { replica: { enabled: false, retired: true } }],
            ["jenkins", { enabled: false, retired: true }],
            [
                "collaboration",
                {
                    jira: { enabled: false, retired: true },
                    wiki: { enabled: false, retired: true },
                    cms: { enabled: false, retired: true },
                },
            ],
        ] as const;
        const retired = all.reduce(
            (config, [key, patch]) => withPatch(config, `scale-tiers:${key}`, patch),
            tier150k(),
        );
        const [before, after] = [
            await evaluate("tier150k"),
            await evaluate("tier150k", { config: retired, previous: stateOf(tier150k()) }),
        ];
        const VOLUME = "aws:ebs/volume:Volume";
        for (const name of [
            "db-replica-data",
            "ci-jenkins-data",
            "tools-jira-data",
            "tools-wiki-data",
            "tools-cms-data",
        ]) {
            const [was, is] = [named(before, VOLUME, name), named(after, VOLUME, name)];
            expect(is.urn, name).to.equal(was.urn);
            expect(is.inputs, name).to.deep.equal(was.inputs);
            expect(is).to.include({ protect: true, retainOnDelete: true });
            const snapshot = named(after, "aws:ebs/snapshot:Snapshot", `${name}-final`);
            expect(snapshot.inputs.volumeId).to.equal(`${name}-id`);
            expect(snapshot).to.include({ protect: true, retainOnDelete: true });
        }
        const servers = ofType(after, "aws:ec2/instance:Instance").map((i) => i.name);
        expect(servers).to.include("db-primary");
        expect(servers.filter((n) => /replica|jenkins|jira|wiki|cms/.test(n))).to.deep.equal([]);
        // The releases the web servers deploy from stay with the retired Jenkins.
        expect(named(after, "aws:s3/bucket:Bucket", "ci-artifacts").urn).to.equal(
            named(before, "aws:s3/bucket:Bucket", "ci-artifacts").urn,
        );
        expect(after.outputs.deployedState).to.deep.equal(stateOf(retired));
    });
});
