/**
 * One estate grows by config only: a stack deployed as tier30k, given the
 * tier150k and then the tier1m values, keeps every stateful resource.
 */
import { expect } from "chai";
import { RecordedResource, Recording } from "../plan/evaluate";
import { replacementInputs, statefulLosses } from "../plan/replacement";
import {
    ConfigMap,
    configPatched,
    evaluate,
    PROMOTED_TO_1M,
    promotedTo1m,
    stackConfig,
    tier1mAt,
    reached,
    stateOf,
} from "./harness";
import { DeployedState } from "../domain/deployed-state";

function resource(
    urn: string,
    type: string,
    inputs: Record<string, unknown>,
    ignoreChanges: string[] = [],
): RecordedResource {
    return {
        urn,
        type,
        name: urn,
        custom: true,
        inputs,
        protect: false,
        retainOnDelete: false,
        deleteBeforeReplace: false,
        ignoreChanges,
        dependsOn: [],
        aliases: [],
    };
}

function recording(resources: RecordedResource[]): Recording {
    return { stack: "s", config: {}, resources, outputs: {}, warnings: [] };
}

describe("statefulLosses", () => {
    const volume = resource("vol", "aws:ebs/volume:Volume", { availabilityZone: "a", size: 100, encrypted: true });
    const db = resource(
        "db",
        "aws:ec2/instance:Instance",
        { subnetId: "s0", ami: "ami-1", tags: { role: "mysql-primary" } },
        ["ami"],
    );
    const web = resource("web", "aws:ec2/instance:Instance", { subnetId: "s0", tags: { role: "web" } });

    it("accepts in-place changes", () => {
        const grown = resource("vol", "aws:ebs/volume:Volume", { availabilityZone: "a", size: 500, encrypted: true });
        expect(statefulLosses(recording([volume]), recording([grown]))).to.deep.equal([]);
    });

    it("reports a removed or renamed stateful resource", () => {
        const renamed = resource("vol2", "aws:ebs/volume:Volume", volume.inputs);
        expect(statefulLosses(recording([volume]), recording([renamed]))).to.deep.equal([
            { urn: "vol", reason: "removed" },
        ]);
    });

    it("reports a change to an input that forces replacement", () => {
        const moved = resource("vol", "aws:ebs/volume:Volume", { ...volume.inputs, availabilityZone: "b" });
        expect(statefulLosses(recording([volume]), recording([moved]))).to.deep.equal([
            { urn: "vol", reason: "replaced: availabilityZone changed" },
        ]);
    });

    it("treats database servers as stateful, minus ignored inputs, and web servers as not", () => {
        expect(replacementInputs(db)).not.to.include("ami");
        expect(replacementInputs(db)).to.include("subnetId");
        expect(replacementInputs(web)).to.equal(undefined);
        const newAmi = resource("db", "aws:ec2/instance:Instance", { ...db.inputs, ami: "ami-2" }, ["ami"]);
        expect(statefulLosses(recording([db, web]), recording([newAmi]))).to.deep.equal([]);
    });
});

describe("promotion tier30k -> tier150k -> tier1m through each migration phase (mocks)", () => {
    const PATH: [string, () => ConfigMap][] = [
        ["tier30k", () => stackConfig("tier30k")],
        ["tier150k", () => stackConfig("tier150k")],
        ["tier1m replicating", () => tier1mAt("replicating")],
        ["tier1m cutover", () => tier1mAt("cutover")],
        ["tier1m decommissioned", promotedTo1m],
    ];
    let steps: Recording[];
    before(async () => {
        // The estate keeps its stack name; only its config changes, and each update reads back the state
        // the one before it recorded.
        steps = [];
        let previous: DeployedState | undefined;
        for (const [, config] of PATH) {
            steps.push(await evaluate("tier30k", { config: config(), previous }));
            previous = stateOf(config(), "tier30k");
        }
    });

    it("keeps every stateful resource's URN and replacement-forcing inputs, up to the cutover", () => {
        for (let i = 1; i < 4; i++) {
            expect(statefulLosses(steps[i - 1], steps[i]), `${PATH[i - 1][0]} -> ${PATH[i][0]}`).to.deep.equal([]);
        }
    });

    it("decommissions only the self-managed MySQL servers, keeping their volumes with final snapshots", () => {
        const [cutover, decommissioned] = [steps[3], steps[4]];
        const urn = (name: string) => cutover.resources.find((r) => r.name === name)!.urn;
        // DMS goes too: its account secrets, which held nothing but its own passwords.
        const losses = statefulLosses(cutover, decommissioned);
        const migrationOwn = (loss: { urn: string }) => loss.urn.includes("::scale-tiers:migration:Migration$");
        expect(losses.filter((loss) => !migrationOwn(loss))).to.deep.equal([
            { urn: urn("db-primary"), reason: "removed" },
            { urn: urn("db-replica"), reason: "removed" },
        ]);
        expect(losses.filter(migrationOwn).map((loss) => loss.urn.split("::").pop())).to.have.members([
            "migration-ec2-account-password",
            "migration-ec2-account-secret",
            "migration-rds-account-password",
            "migration-rds-account-secret",
        ]);
        for (const role of ["primary", "replica"]) {
            const volume = decommissioned.resources.find((r) => r.name === `db-${role}-data`)!;
            expect(volume).to.include({ urn: urn(`db-${role}-data`), protect: true, retainOnDelete: true });
            const snapshot = decommissioned.resources.find((r) => r.name === `db-${role}-data-final`)!;
            expect(snapshot).to.include({ protect: true, retainOnDelete: true });
            expect(snapshot.inputs.volumeId).to.equal(`db-${role}-data-id`);
        }
    });

    it("covers the resources that hold the data", () => {
        const stateful = steps[0].resources.filter((r) => replacementInputs(r) !== undefined).map((r) => r.name);
        expect(stateful).to.include.members([
            "network-vpc",
            "network-zone",
            "db-primary",
            "db-primary-data",
            "db-root-password",
            "db-app-password",
            "db-app-secret",
            "web-alb-logs",
        ]);
    });

    it("changes what a bigger tier needs to change", () => {
        const volume = (r: Recording) => r.resources.find((x) => x.name === "db-primary-data")!;
        expect(steps.map((r) => volume(r).inputs.size)).to.deep.equal([100, 500, 1000, 1000, 1000]);
    });

    it("carries the stateful resources of tier150k into tier1m too", () => {
        const stateful = steps[1].resources.filter((r) => replacementInputs(r) !== undefined).map((r) => r.name);
        expect(stateful).to.include.members([
            "db-replica",
            "db-replica-data",
            "mq-0",
            "mq-0-data",
            "ci-jenkins",
            "ci-jenkins-data",
            "ci-artifacts",
            "tools-jira-data",
            "tools-wiki-data",
            "tools-cms-data",
        ]);
    });

    it("guards every stateful resource against accidents", () => {
        for (const step of steps) {
            for (const volume of step.resources.filter((r) => r.type === "aws:ebs/volume:Volume")) {
                expect(volume.protect, volume.name).to.equal(true);
                expect(volume.inputs.finalSnapshot, volume.name).to.equal(true);
            }
            for (const server of step.resources.filter(
                (r) => r.type === "aws:ec2/instance:Instance" && replacementInputs(r) !== undefined,
            )) {
                expect(server.ignoreChanges, server.name).to.include.members(["ami", "userDataBase64"]);
            }
            for (const attachment of step.resources.filter(
                (r) => r.type === "aws:ec2/volumeAttachment:VolumeAttachment",
            )) {
                expect(attachment.deleteBeforeReplace, attachment.name).to.equal(true);
                expect(attachment.inputs.stopInstanceBeforeDetaching, attachment.name).to.equal(true);
            }
            for (const database of step.resources.filter(
                (r) => r.type === "aws:rds/instance:Instance" && r.inputs.replicateSourceDb === undefined,
            )) {
                expect(database.protect, database.name).to.equal(true);
                expect(database.inputs, database.name).to.include({
                    deletionProtection: true,
                    skipFinalSnapshot: false,
                    deleteAutomatedBackups: false,
                });
                expect(database.inputs.finalSnapshotIdentifier, database.name).to.be.a("string");
            }
            for (const keeper of step.resources.filter((r) =>
                ["aws:sqs/queue:Queue", "aws:opensearch/domain:Domain"].includes(r.type),
            )) {
                expect(keeper.protect, keeper.name).to.equal(true);
            }
            for (const alb of step.resources.filter((r) => r.name === "web-alb")) {
                expect(alb.inputs.enableDeletionProtection, alb.name).to.equal(true);
            }
        }
    });
});

describe("retiring the drained RabbitMQ cluster of tier1m (mocks)", () => {
    let draining: Recording;
    let retired: Recording;
    before(async () => {
        draining = await evaluate("tier1m", reached(promotedTo1m()));
        retired = await evaluate(
            "tier1m",
            reached(
                configPatched(PROMOTED_TO_1M, "scale-tiers:rabbitmq", {
                    enabled: false,
                    draining: false,
                    retired: true,
                }),
            ),
        );
    });

    it("removes the nodes and their secrets, and keeps every data volume with a final snapshot", () => {
        const losses = statefulLosses(draining, retired).map((loss) => loss.urn.split("::").pop());
        expect(losses).to.have.members([
            "mq-0",
            "mq-1",
            "mq-2",
            "mq-cookie-password",
            "mq-cookie-secret",
            "mq-admin-password",
            "mq-admin-secret",
        ]);
        for (const index of [0, 1, 2]) {
            const before = draining.resources.find((r) => r.name === `mq-${index}-data`)!;
            const after = retired.resources.find((r) => r.name === `mq-${index}-data`)!;
            expect(after).to.include({ urn: before.urn, protect: true, retainOnDelete: true });
            expect(after.inputs).to.deep.equal(before.inputs);
            const snapshot = retired.resources.find((r) => r.name === `mq-${index}-data-final`)!;
            expect(snapshot).to.include({ protect: true, retainOnDelete: true });
            expect(snapshot.inputs.volumeId).to.equal(`mq-${index}-data-id`);
        }
        const nodes = retired.resources.filter(
            (r) => r.type === "aws:ec2/instance:Instance" && r.name.startsWith("mq-"),
        );
        expect(nodes).to.deep.equal([]);
        expect(retired.outputs).not.to.have.property("brokerDnsName");
    });
});
